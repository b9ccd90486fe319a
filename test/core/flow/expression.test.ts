import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Expression, expressionProblems, parseExpression } from '../../../src/core/flow/expression.ts';

/** The parse tree written back with every grouping explicit: [a && b] for a binary node, !{x}, (x) for parentheses. */
function shape(expression: Expression | null): string {
  if (expression === null) return 'refused';
  switch (expression.kind) {
    case 'compare': {
      const operand = (o: (typeof expression)['left']) => (o.kind === 'number' ? String(o.value) : o.name);
      return `${operand(expression.left)}${expression.op}${operand(expression.right)}`;
    }
    case 'and':
    case 'or':
      return `[${shape(expression.left)} ${expression.kind === 'and' ? '&&' : '||'} ${shape(expression.right)}]`;
    case 'not':
      return `!{${shape(expression.operand)}}`;
    case 'group':
      return `(${shape(expression.inner)})`;
  }
}

const parsed = (text: string) => shape(parseExpression(text));

describe("OneFlow's elasticity expression grammar", () => {
  it('parses the documentation examples', () => {
    assert.equal(parsed('ATT > 50'), 'ATT>50');
    assert.equal(parsed('ATT < 20'), 'ATT<20');
    assert.equal(
      parsed('(ATT > 50) && !(OTHER_ATT = 5.5 || ABC <= 30)'),
      '[(ATT>50) && !{([OTHER_ATT=5.5 || ABC<=30])}]',
    );
  });
  it('has no precedence: a boolean operator takes everything to its right', () => {
    assert.equal(parsed('B>0 && A>0 || C>0'), '[B>0 && [A>0 || C>0]]');
    assert.equal(parsed('A>0 || B>0 && C>0'), '[A>0 || [B>0 && C>0]]');
    assert.equal(parsed('!(B>0) && B>0'), '!{[(B>0) && B>0]}');
    assert.equal(parsed('(!(B > 0)) && B > 0'), '[(!{(B>0)}) && B>0]');
  });
  it('takes every comparison spelling, the single-character boolean operators, negative and decimal numbers', () => {
    assert.equal(parsed('A == 1 & B = 2 | C != 3'), '[A==1 && [B=2 || C!=3]]');
    assert.equal(parsed('A <> -1.5'), 'A<>-1.5');
    assert.equal(parsed('A >= B'), 'A>=B');
    assert.equal(parsed('a <= 0'), 'A<=0');
  });
  it('refuses words, tabs, arithmetic, a bare name and unbalanced parentheses, as OneFlow does', () => {
    for (const text of ['A > 1 and B > 1', 'A >\t1', 'A + 1 > 2', 'A', '(A > 1', 'A > 1)', '', 'A > 1 &&']) {
      assert.equal(parsed(text), 'refused', text);
    }
  });
});

describe('expressions fit for a template', () => {
  const known = ['SLM_COPILOT_QUEUE', 'SLM_COPILOT_BUSY'];
  it('accepts parenthesised chains and same-operator chains', () => {
    assert.deepEqual(expressionProblems('(SLM_COPILOT_QUEUE >= 1) && (SLM_COPILOT_BUSY >= 80)', known), []);
    assert.deepEqual(
      expressionProblems('SLM_COPILOT_QUEUE > 1 || SLM_COPILOT_BUSY > 1 || SLM_COPILOT_BUSY < 0', known),
      [],
    );
    assert.deepEqual(expressionProblems('!(SLM_COPILOT_BUSY > 1)', known), []);
  });
  it('refuses what reads differently with precedence, naming the operator', () => {
    assert.match(
      expressionProblems(
        'SLM_COPILOT_BUSY > 1 && SLM_COPILOT_QUEUE > 1 || SLM_COPILOT_BUSY > 90',
        known,
      ).join(),
      /"&&" takes a mixed chain to its right.*parenthesise/,
    );
    assert.match(
      expressionProblems('!(SLM_COPILOT_BUSY > 1) && SLM_COPILOT_QUEUE > 1', known).join(),
      /"!" negates everything to its right/,
    );
  });
  it('refuses quoted names (never found), unknown names and unparseable text', () => {
    assert.match(expressionProblems('"SLM_COPILOT_BUSY" > 1', known).join(), /quoted name SLM_COPILOT_BUSY/);
    assert.match(expressionProblems('LOAD > 1', known).join(), /LOAD is not a published attribute/);
    assert.match(
      expressionProblems('SLM_COPILOT_BUSY > 1 and 2', known).join(),
      /is not a OneFlow expression/,
    );
  });
});
