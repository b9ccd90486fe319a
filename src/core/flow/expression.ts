/**
 * OneFlow's elasticity expression grammar (OpenNebula's treetop grammar `ElasticityGrammar`), parsed the way its PEG
 * parses it: ordered choice that commits to the first alternative that matches, blanks are spaces only, and a
 * boolean operator takes everything to its right (`A && B || C` is `A && (B || C)`; `!X && Y` is `!(X && Y)`):
 * there is no precedence. `expressionProblems` accepts only expressions that read the same with or without
 * precedence: every operand of a chain of mixed operators and of `!` is a comparison or in parentheses. Pure.
 */

export type Comparison = '==' | '=' | '!=' | '<>' | '>=' | '>' | '<=' | '<';
export type Operand =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'name'; readonly name: string; readonly quoted: boolean };

export type Expression =
  | { readonly kind: 'compare'; readonly left: Operand; readonly op: Comparison; readonly right: Operand }
  | { readonly kind: 'and' | 'or'; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'not'; readonly operand: Expression }
  | { readonly kind: 'group'; readonly inner: Expression };

type Step<T> = { readonly value: T; readonly end: number } | null;

const COMPARISONS: readonly Comparison[] = ['==', '=', '!=', '<>', '>=', '>', '<=', '<'];

/** The parse of the whole text, or null where OneFlow's parser refuses it (the template would be refused). */
export function parseExpression(text: string): Expression | null {
  const parsed = expression(text, 0);
  return parsed !== null && parsed.end === text.length ? parsed.value : null;
}

function spaces(text: string, at: number): number {
  let end = at;
  while (text[end] === ' ') end += 1;
  return end;
}

// rule expression: space (boolean_exp / logic_cond) space
function expression(text: string, at: number): Step<Expression> {
  const start = spaces(text, at);
  const inner = booleanExp(text, start) ?? logicCond(text, start);
  return inner === null ? null : { value: inner.value, end: spaces(text, inner.end) };
}

// rule boolean_exp: logic_cond space ('&&' / '&') space expression / logic_cond space ('||' / '|') space expression
function booleanExp(text: string, at: number): Step<Expression> {
  for (const [kind, operators] of [
    ['and', ['&&', '&']],
    ['or', ['||', '|']],
  ] as const) {
    const left = logicCond(text, at);
    if (left === null) return null;
    const opAt = spaces(text, left.end);
    const op = operators.find((candidate) => text.startsWith(candidate, opAt));
    if (op === undefined) continue;
    const right = expression(text, spaces(text, opAt + op.length));
    if (right === null) continue;
    return { value: { kind, left: left.value, right: right.value }, end: right.end };
  }
  return null;
}

// rule logic_cond: operand space comp_op space operand / '!' space expression / '(' space expression space ')'
function logicCond(text: string, at: number): Step<Expression> {
  const left = operand(text, at);
  if (left !== null) {
    const opAt = spaces(text, left.end);
    const op = COMPARISONS.find((candidate) => text.startsWith(candidate, opAt));
    if (op !== undefined) {
      const right = operand(text, spaces(text, opAt + op.length));
      if (right !== null) {
        return { value: { kind: 'compare', left: left.value, op, right: right.value }, end: right.end };
      }
    }
  }
  if (text[at] === '!') {
    const negated = expression(text, spaces(text, at + 1));
    if (negated !== null) return { value: { kind: 'not', operand: negated.value }, end: negated.end };
  }
  if (text[at] === '(') {
    const inner = expression(text, spaces(text, at + 1));
    if (inner !== null) {
      const close = spaces(text, inner.end);
      if (text[close] === ')') return { value: { kind: 'group', inner: inner.value }, end: close + 1 };
    }
  }
  return null;
}

// rule operand: number / variable
function operand(text: string, at: number): Step<Operand> {
  const number = /^-?[0-9]+(\.[0-9]+)?/.exec(text.slice(at));
  if (number !== null)
    return { value: { kind: 'number', value: Number(number[0]) }, end: at + number[0].length };
  const name = /^(?:"([a-zA-Z][0-9a-zA-Z_]*)"|'([a-zA-Z][0-9a-zA-Z_]*)'|([a-zA-Z][0-9a-zA-Z_]*))/.exec(
    text.slice(at),
  );
  if (name === null) return null;
  const bare = name[3];
  return {
    value: {
      kind: 'name',
      name: (bare ?? name[1] ?? name[2] ?? '').toUpperCase(),
      quoted: bare === undefined,
    },
    end: at + name[0].length,
  };
}

/** The attribute names an expression reads (upper case, as OneFlow looks them up). */
export function expressionNames(expression: Expression): string[] {
  return namedOperands(expression).map((operand) => operand.name);
}

function namedOperands(expression: Expression): Extract<Operand, { kind: 'name' }>[] {
  switch (expression.kind) {
    case 'compare':
      return [expression.left, expression.right].flatMap((o) => (o.kind === 'name' ? [o] : []));
    case 'and':
    case 'or':
      return [...namedOperands(expression.left), ...namedOperands(expression.right)];
    case 'not':
      return namedOperands(expression.operand);
    case 'group':
      return namedOperands(expression.inner);
  }
}

/**
 * Why an elasticity expression is unfit for a template, or nothing: OneFlow refuses it, it reads differently than
 * with precedence, or it names an attribute quoted (parsed, never found) or not in `known` (the metrics published).
 */
export function expressionProblems(text: string, known: readonly string[]): string[] {
  const parsed = parseExpression(text);
  if (parsed === null) {
    return [
      `${JSON.stringify(text)} is not a OneFlow expression: use comparisons (NAME > 1), &&, ||, ! and parentheses, separated by spaces only`,
    ];
  }
  const problems = precedenceProblems(parsed).map(
    (part) =>
      `${JSON.stringify(text)}: ${part}; OneFlow has no operator precedence, so parenthesise it to read the same either way`,
  );
  for (const name of new Set(namedOperands(parsed).flatMap((o) => (o.quoted ? [o.name] : [])))) {
    problems.push(
      `${JSON.stringify(text)}: the quoted name ${name} parses but OneFlow never finds it; write it bare`,
    );
  }
  for (const name of new Set(expressionNames(parsed))) {
    if (!known.includes(name)) {
      problems.push(`${JSON.stringify(text)}: ${name} is not a published attribute (${known.join(', ')})`);
    }
  }
  return problems;
}

function precedenceProblems(expression: Expression): string[] {
  switch (expression.kind) {
    case 'compare':
      return [];
    case 'group':
      return precedenceProblems(expression.inner);
    case 'not':
      return [
        ...(expression.operand.kind === 'group' || expression.operand.kind === 'compare'
          ? []
          : ['"!" negates everything to its right']),
        ...precedenceProblems(expression.operand),
      ];
    case 'and':
    case 'or': {
      const right = expression.right;
      const mixed = (right.kind === 'and' || right.kind === 'or') && right.kind !== expression.kind;
      return [
        ...(mixed ? [`"${expression.kind === 'and' ? '&&' : '||'}" takes a mixed chain to its right`] : []),
        ...precedenceProblems(expression.left),
        ...precedenceProblems(right),
      ];
    }
  }
}
