import { describe, expect, it } from 'vitest';
import { render } from './template.ts';

describe('the template handler', () => {
  it('fills {{name}} and {{a.b}} from values', () => {
    expect(render('Hello {{name}}, {{ user.city }}!', { name: 'Ada', user: { city: 'London' } }, false)).toBe('Hello Ada, London!');
  });

  it('renders missing values and objects as empty text', () => {
    expect(render('[{{nope}}][{{user}}]', { user: { a: 1 } }, false)).toBe('[][]');
  });

  it('evaluates no code and reaches nothing outside the values', () => {
    const hostile = '{{constructor.constructor}}{{__proto__.polluted}}{{ process.env.HOME }}{{ 1+1 }}${1+1}<%= 7*7 %>{{#each x}}';
    expect(render(hostile, {}, false)).toBe('{{ 1+1 }}${1+1}<%= 7*7 %>{{#each x}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves HTML alone by default and escapes it when asked', () => {
    expect(render('{{x}}', { x: '<b>"hi"</b>' }, false)).toBe('<b>"hi"</b>');
    expect(render('{{x}}', { x: '<b>"hi"</b>' }, true)).toBe('&lt;b&gt;&quot;hi&quot;&lt;/b&gt;');
  });
});
