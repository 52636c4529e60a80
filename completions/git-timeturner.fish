# fish completion for git-timeturner. Installed as
# $PREFIX/share/fish/vendor_conf.d/git-timeturner.fish, which fish reads at start-up: a file in
# vendor_completions.d would be loaded only for 'git-timeturner …', and fish 3.6's git completion
# cannot hand 'git timeturner …' to it (it looks for a command named git-git-timeturner), so the
# rule for 'git timeturner' is declared here too.
#
# The candidates come from 'git-timeturner __complete' (see completions/git-timeturner.bash).

function __git_timeturner_complete
    set -l words (commandline -opc) (commandline -ct)
    # Drop everything up to the command: 'git-timeturner', or 'git [options] timeturner'.
    while set -q words[1]; and not contains -- $words[1] git-timeturner timeturner
        set -e words[1]
    end
    set -e words[1]
    set -l output (git-timeturner __complete -- $words 2>/dev/null)
    or return
    switch "$output[1]"
        case :files
            __fish_complete_path (commandline -ct)
            return
        case :refs
            if functions -q __fish_git_refs
                __fish_git_refs
            end
    end
    printf '%s\n' $output[2..-1]
end

complete -c git-timeturner -f -a '(__git_timeturner_complete)'
complete -c git -n '__fish_seen_subcommand_from timeturner' -f -a '(__git_timeturner_complete)'
