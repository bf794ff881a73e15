# bash completion for xenrace (installed as ${datadir}/bash-completion/completions/xenrace).
# Commands and options come from the binary's own --help, scenario names and variant ids from the hidden
# `xenrace list --names` (with the --load libraries of the command line), so nothing here goes stale.
# Plain bash: it needs neither the bash-completion package's helpers nor any other tool.

_xenrace_help_words() {  # BINARY [COMMAND]: the options (or, with no COMMAND, the commands) --help lists
  local bin=$1 line section=""
  shift
  while IFS= read -r line; do
    if [[ $line =~ ^[A-Za-z]+:$ ]]; then  # a section of CLI11's help: Options:, Subcommands:, Positionals:
      case ${line,,} in subcommands:) section=commands ;; *) section=other ;; esac
      continue
    fi
    if [ "$section" = commands ] && [[ $line =~ ^\ +([a-z][-a-z0-9]*)\  ]]; then
      [ $# -eq 0 ] && printf '%s\n' "${BASH_REMATCH[1]}"
    elif [ $# -gt 0 ] && [[ $line =~ ^\ +(-[a-z],)?(--[a-z][-a-z0-9]*) ]]; then
      [ -n "${BASH_REMATCH[1]}" ] && printf '%s\n' "${BASH_REMATCH[1]%,}"
      printf '%s\n' "${BASH_REMATCH[2]}"
    fi
  done < <("$bin" "$@" --help 2>/dev/null)
}

_xenrace() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local bin=${COMP_WORDS[0]} cmd="" i
  local -a load=()
  [[ $bin == "~/"* ]] && bin=$HOME/${bin#"~/"}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --load) ((i++)); load+=(--load "${COMP_WORDS[i]}") ;;
      --load=*) load+=("${COMP_WORDS[i]}") ;;
      -*) ;;
      *) [ -z "$cmd" ] && cmd=${COMP_WORDS[i]} ;;
    esac
  done
  COMPREPLY=()
  case $prev in
    --load) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --strategy) COMPREPLY=($(compgen -W "random pct dfs dpor" -- "$cur")); return ;;
    --jobs|-j) COMPREPLY=($(compgen -W "auto 0 1 2 4 8" -- "$cur")); return ;;
    --shard) COMPREPLY=($(compgen -W "1/2 2/2 1/4 2/4 3/4 4/4" -- "$cur")); return ;;
    --backend) COMPREPLY=($(compgen -W "sim dom0" -- "$cur")); return ;;
    --report-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --socket|--record|--replay|--config|--ledger|--xenstored-path|--block-script|--against) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [ -z "$cmd" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--help --version --load" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(_xenrace_help_words "$bin")" -- "$cur"))
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_xenrace_help_words "$bin" "$cmd")" -- "$cur"))
    return
  fi
  case $cmd in
    explore|run|compare) COMPREPLY=($(compgen -W "$("$bin" "${load[@]}" list --names 2>/dev/null)" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "$(_xenrace_help_words "$bin")" -- "$cur")) ;;
    merge) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur")) ;;
  esac
}
complete -F _xenrace xenrace
