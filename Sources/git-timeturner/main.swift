import TimeturnerCLI

await TimeturnerCommand.mainExit()
