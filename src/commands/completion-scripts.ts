// Shell completion scripts, generated from a description of the commander tree (cli/ builds it), so
// a new command or flag is completed without anyone editing a script. bash and zsh share one core
// written in the syntax both accept; fish has its own `complete` lines.
import { COLLECTION_NAMES } from '../shared/collections.js';

/** What completes a value: nothing, file names, stored profiles, collections, or fixed words. */
export type ValueKind = 'text' | 'files' | 'profiles' | 'collections' | { choices: string[] };

export interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  /** Undefined for a switch (it takes no value). */
  value?: ValueKind;
}

export interface ArgumentSpec {
  name: string;
  variadic: boolean;
  value: ValueKind;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  commands: CommandSpec[];
}

interface Node {
  /** Space-separated names below the program: '' for the program itself, 'emulator trigger'. */
  path: string;
  spec: CommandSpec;
}

function nodes(root: CommandSpec): Node[] {
  const all: Node[] = [];
  const walk = (spec: CommandSpec, path: string) => {
    all.push({ path, spec });
    for (const child of spec.commands) walk(child, path ? `${path} ${child.name}` : child.name);
  };
  walk(root, '');
  return all;
}

const flagsOf = (option: OptionSpec) => [option.long, option.short].filter((f): f is string => f !== undefined);

/** The core's encoding of a value kind: one word, or `choices a b c`. */
function kindWord(kind: ValueKind): string {
  return typeof kind === 'string' ? kind : `choices ${kind.choices.join(' ')}`;
}

/** `'a b c'` for sh: every word here is a flag, a command, a collection or a choice (no quotes in them). */
const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function fn(name: string, comment: string, cases: string[], fallback = ''): string {
  return [
    `# ${comment}`,
    `${name}() {`,
    '  case "$1" in',
    ...cases.map((c) => `    ${c}`),
    ...(fallback ? [`    ${fallback}`] : []),
    '  esac',
    '}',
  ].join('\n');
}

/** The functions bash and zsh share: the tree as case tables, and the walk over the words typed. */
function core(root: CommandSpec, bin: string): string {
  const all = nodes(root);
  const globals = root.options.flatMap(flagsOf);
  const subs = fn(
    `__${bin}_subs`,
    'the subcommands of command path $1',
    all
      .filter((n) => n.spec.commands.length > 0)
      .map((n) => `${quoted(n.path)}) printf '%s\\n' ${quoted(n.spec.commands.map((c) => c.name).join(' '))} ;;`),
  );
  const opts = fn(
    `__${bin}_opts`,
    'the flags accepted after command path $1 (its own, then the global ones)',
    all.map(
      (n) => `${quoted(n.path)}) printf '%s\\n' ${quoted([...(n.path ? n.spec.options.flatMap(flagsOf) : []), ...globals].join(' '))} ;;`,
    ),
  );
  const valueCases = all.flatMap((n) =>
    n.path === ''
      ? []
      : n.spec.options
          .filter((o) => o.value !== undefined)
          .map(
            (o) =>
              `${flagsOf(o)
                .map((f) => quoted(`${n.path}|${f}`))
                .join('|')}) printf '%s\\n' ${quoted(kindWord(o.value!))} ;;`,
          ),
  );
  const globalCases = root.options
    .filter((o) => o.value !== undefined)
    .map(
      (o) =>
        `${flagsOf(o)
          .map((f) => `*${quoted(`|${f}`)}`)
          .join('|')}) printf '%s\\n' ${quoted(kindWord(o.value!))} ;;`,
    );
  const values = fn(`__${bin}_value`, 'what completes the value of a flag; $1 is "<command path>|<flag>" (nothing: it takes no value)', [
    ...valueCases,
    ...globalCases,
  ]);
  const argCases = all.flatMap((n) =>
    n.spec.arguments.map((a, i) => `${quoted(`${n.path}|`)}${a.variadic ? '*' : i}) printf '%s\\n' ${quoted(kindWord(a.value))} ;;`),
  );
  const args = fn(`__${bin}_arg`, 'what completes a positional argument; $1 is "<command path>|<index from 0>"', argCases);
  const p = `__${bin}`;
  return `${subs}

${opts}

${values}

${args}

${p}_is_sub() {
  local __ph_sub
  for __ph_sub in $(${p}_subs "$1"); do
    [ "$__ph_sub" = "$2" ] && return 0
  done
  return 1
}

# Profile names, from the store this command line points at.
${p}_profiles() {
  if [ -n "$2" ]; then
    "$1" --config-dir "$2" profiles --json 2>/dev/null
  else
    "$1" profiles --json 2>/dev/null
  fi | sed -n 's/^    "name": "\\(.*\\)",$/\\1/p'
}

# $1: the index of the word being completed (0 is the command); then every word of the line.
# Prints "files" when file names complete it, else "words" and a line of candidates.
${p}_candidates() {
  local __ph_w __ph_kind __ph_cword=$1 __ph_cmd=$2 __ph_i=1 __ph_path='' __ph_pending='' __ph_pos=0 __ph_cur='' __ph_cfg='' __ph_words=''
  shift 2
  for __ph_w in "$@"; do
    if [ "$__ph_i" -ge "$__ph_cword" ]; then
      __ph_cur=$__ph_w
      break
    fi
    if [ -n "$__ph_pending" ]; then
      [ "$__ph_pending" = --config-dir ] && __ph_cfg=$__ph_w
      __ph_pending=''
    else
      case $__ph_w in
        --*=*) ;;
        -*) [ -n "$(${p}_value "$__ph_path|$__ph_w")" ] && __ph_pending=$__ph_w ;;
        *)
          if ${p}_is_sub "$__ph_path" "$__ph_w"; then
            __ph_path=\${__ph_path:+$__ph_path }$__ph_w
            __ph_pos=0
          else
            __ph_pos=$((__ph_pos + 1))
          fi
          ;;
      esac
    fi
    __ph_i=$((__ph_i + 1))
  done
  if [ -n "$__ph_pending" ]; then
    __ph_kind=$(${p}_value "$__ph_path|$__ph_pending")
  else
    case $__ph_cur in
      -*)
        echo words
        ${p}_opts "$__ph_path"
        return
        ;;
    esac
    [ "$__ph_pos" -eq 0 ] && __ph_words=$(${p}_subs "$__ph_path")
    __ph_kind=$(${p}_arg "$__ph_path|$__ph_pos")
  fi
  case $__ph_kind in
    files)
      echo files
      return
      ;;
    profiles) __ph_words="$__ph_words $(${p}_profiles "$__ph_cmd" "$__ph_cfg" | tr '\\n' ' ')" ;;
    collections) __ph_words="$__ph_words ${COLLECTION_NAMES.join(' ')}" ;;
    choices\\ *) __ph_words="$__ph_words \${__ph_kind#choices }" ;;
  esac
  echo words
  echo "$__ph_words"
}`;
}

export function bashScript(root: CommandSpec): string {
  const bin = identifier(root.name);
  return `# bash completion for ${root.name}, generated by \`${root.name} completion bash\`.
# Load it with: source <(${root.name} completion bash)   (or save it in /etc/bash_completion.d/)

${core(root, bin)}

_${bin}() {
  local out cur
  cur=\${COMP_WORDS[COMP_CWORD]}
  out=$(__${bin}_candidates "$COMP_CWORD" "\${COMP_WORDS[@]}")
  if [ "$out" = files ]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "\${out#words}" -- "$cur")
  fi
}
complete -F _${bin} ${root.name}
`;
}

export function zshScript(root: CommandSpec): string {
  const bin = identifier(root.name);
  return `#compdef ${root.name}
# zsh completion for ${root.name}, generated by \`${root.name} completion zsh\`.
# Load it with: source <(${root.name} completion zsh)   (after compinit), or save it as _${root.name} on $fpath.

${core(root, bin)}

_${bin}() {
  local out
  out=$(__${bin}_candidates $((CURRENT - 1)) "\${words[@]}")
  if [[ $out == files ]]; then
    _files
  else
    compadd -- \${=out#words}
  fi
}
if (( $+functions[compdef] )); then
  compdef _${bin} ${root.name}
fi
`;
}

export function fishScript(root: CommandSpec): string {
  const bin = identifier(root.name);
  const c = `complete -c ${root.name}`;
  const lines = [
    `# fish completion for ${root.name}, generated by \`${root.name} completion fish\`.`,
    `# Load it with: ${root.name} completion fish | source   (or save it in ~/.config/fish/completions/${root.name}.fish)`,
    '',
    `function __${bin}_profiles`,
    '    set -l cmd (commandline -opc)[1]',
    `    $cmd profiles --json 2>/dev/null | string replace -rf '^    "name": "(.*)",$' '$1'`,
    'end',
    '',
    `${c} -f`,
  ];
  for (const option of root.options) lines.push(`${c} ${fishOption(option, bin)}`);
  for (const { path, spec } of nodes(root)) {
    const names = path ? path.split(' ') : [];
    const inThis = condition(names, spec);
    for (const child of spec.commands) lines.push(`${c} -n ${fishQuote(inThis)} -a ${child.name} -d ${fishQuote(child.description)}`);
    if (!path) continue;
    for (const option of spec.options) lines.push(`${c} -n ${fishQuote(inThis)} ${fishOption(option, bin)}`);
    for (const argument of spec.arguments) {
      const words = fishWords(argument.value, bin);
      if (words) lines.push(`${c} -n ${fishQuote(inThis)} -a ${words}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** True inside command path `names` (and not inside one of its subcommands). */
function condition(names: string[], spec: CommandSpec): string {
  const tests = names.length === 0 ? ['__fish_use_subcommand'] : names.map((n) => `__fish_seen_subcommand_from ${n}`);
  if (names.length > 0 && spec.commands.length > 0)
    tests.push(`not __fish_seen_subcommand_from ${spec.commands.map((s) => s.name).join(' ')}`);
  return tests.join('; and ');
}

function fishOption(option: OptionSpec, bin: string): string {
  const parts = [
    ...(option.long ? [`-l ${option.long.replace(/^--/, '')}`] : []),
    ...(option.short ? [`-s ${option.short.replace(/^-/, '')}`] : []),
  ];
  if (option.value === 'files') parts.push('-r -F');
  else if (option.value !== undefined) {
    const words = fishWords(option.value, bin);
    parts.push(words ? `-x -a ${words}` : '-x');
  }
  parts.push(`-d ${fishQuote(option.description)}`);
  return parts.join(' ');
}

function fishWords(kind: ValueKind, bin: string): string | undefined {
  if (kind === 'collections') return fishQuote(COLLECTION_NAMES.join(' '));
  if (kind === 'profiles') return fishQuote(`(__${bin}_profiles)`);
  if (typeof kind === 'object') return fishQuote(kind.choices.join(' '));
  return undefined;
}

/** A fish single-quoted string: only \\ and ' are special inside. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** protime-hooks → protime_hooks: a name every shell accepts for a function. */
function identifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}
