import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from './lossless-json.js';

describe('parseJsonLossless', () => {
  it('keeps an 18-digit ServiceDesk Plus Cloud id as its digits, where JSON.parse rounds it', () => {
    const text = '{"request":{"id":123640000000279007}}';
    expect(String((JSON.parse(text) as { request: { id: number } }).request.id)).not.toBe(
      '123640000000279007',
    );
    expect(parseJsonLossless(text)).toEqual({ request: { id: '123640000000279007' } });
  });

  it('keeps unsafe integers inside arrays and nested objects, and leaves everything else as JSON.parse does', () => {
    const text =
      '{"ids":[9007199254740993,7],"n":{"x":-9007199254740993,"f":1.5,"e":1e300,"s":"12345678901234567"}}';
    expect(parseJsonLossless(text)).toEqual({
      ids: ['9007199254740993', 7],
      n: { x: '-9007199254740993', f: 1.5, e: 1e300, s: '12345678901234567' },
    });
  });

  it('answers as JSON.parse for text without long numbers, and throws on malformed JSON', () => {
    expect(parseJsonLossless('{"id":42,"a":[1,2]}')).toEqual({ id: 42, a: [1, 2] });
    expect(() => parseJsonLossless('{"id":1234567890123456789')).toThrow(SyntaxError);
  });

  it('leaves long digit strings in quotes as strings, and reads a long number after white space', () => {
    expect(parseJsonLossless('{"id":"123640000000279007","n": [ 123640000000279007]}')).toEqual({
      id: '123640000000279007',
      n: ['123640000000279007'],
    });
  });
});
