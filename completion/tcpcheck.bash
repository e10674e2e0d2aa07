# bash completion for tcpcheck: subcommands, options, option values (--plan,
# --on-bad-frame, --feedback, serve's protocols) and file names for scripts
# and reports. The candidates come from tcpcheck itself (`tcpcheck
# __complete WORD...`), read from the same definitions as --help.
#
# Installed by the Debian package as
# /usr/share/bash-completion/completions/tcpcheck. By hand: `source` this
# file. zsh: `autoload -U bashcompinit && bashcompinit`, then source it.

_tcpcheck() {
  local current="${COMP_WORDS[COMP_CWORD]}"
  # After "--plan=" bash's word under the cursor is the "=" itself.
  [[ "$current" == "=" ]] && current=""
  local IFS=$'\n'
  local -a answers
  answers=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)) ||
    return 0
  if [[ "${answers[0]-}" == ":files" ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$current"))
    return 0
  fi
  COMPREPLY=($(compgen -W "${answers[*]}" -- "$current"))
  # A value with a parameter to type ("chunk:") takes no space after it.
  if [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *: ]]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
complete -F _tcpcheck tcpcheck
