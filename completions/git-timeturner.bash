# bash completion for git-timeturner. Installed as
# $PREFIX/share/bash-completion/completions/git-timeturner, where bash-completion finds it:
# git's own completion loads it for 'git timeturner …' and calls _git_timeturner, and
# bash-completion loads it for 'git-timeturner …' typed directly.
#
# The candidates come from 'git-timeturner __complete', which knows the commands and options
# from the same definitions as --help, and reads point ids, environments, rollback ids and
# remotes from the repository.

# Fills COMPREPLY for the words after 'timeturner' (the last being the one completed). The
# first argument is put after each word: git's completion is registered with -o nospace and
# adds the space itself, bash's default adds it for us. The binary prints the words ready for
# COMPREPLY and mapfile reads them in one go, from a here-string: bash's own array operations
# (slicing, stripping, suffixing) take a quarter of a second over 10,000 point ids, and mapfile
# reading a pipe reads it one byte at a time (a here-string this large is a temporary file,
# which it reads in blocks). --with-refs: where any revision goes (--to, --target), the branch,
# tag and remote names come from the binary too, as git's own completion would offer them; its
# __git_complete_refs forks git for-each-ref and took a third of a Tab press with 10,000 points.
__git_timeturner_reply() {
    local suffix="$1"
    shift
    local cur="${!#}" output directive
    output="$(git-timeturner __complete --values-only --with-refs "--suffix=$suffix" -- "$@" 2>/dev/null)" || return 0
    directive="${output%%$'\n'*}"
    case "$directive" in
    :files)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
        ;;
    *) COMPREPLY=() ;;
    esac
    # $(…) dropped the trailing newline; a candidate ending in a space keeps it.
    [ "$output" = "$directive" ] || mapfile -t -s 1 -O "${#COMPREPLY[@]}" COMPREPLY <<<"$output"
    return 0
}

# Called by git's completion (git-completion.bash) for 'git timeturner …', with its words,
# cword and cur set (split at '=' and ':' as git's completion does not).
_git_timeturner() {
    local i start=-1
    for ((i = 0; i < cword; i++)); do
        if [ "${words[i]}" = timeturner ] || [ "${words[i]}" = git-timeturner ]; then start=$i; break; fi
    done
    ((start >= 0)) || return 0
    __git_timeturner_reply " " "${words[@]:start+1:cword-start}"
}

# 'git-timeturner …' typed as a command of its own.
_git_timeturner_command() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n =: || return
    else
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    __git_timeturner_reply "" "${words[@]:1:cword}"
}
complete -F _git_timeturner_command git-timeturner
