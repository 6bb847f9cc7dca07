// Tests (Node): object headers, ids and the Python-compatible JSON bodies, read back strictly.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WireError, parseObject } from '../../../../main/federation/wire/index.js';
import { buildObject } from '../../../../main/federation/wire/objects/object-bytes.js';
import { parseStringEntries, pythonJson } from '../../../../main/federation/wire/objects/python-json.js';

const ID = 'c'.repeat(64);
const bytesOf = (text: string) => Buffer.from(text, 'latin1');
const idOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('buildObject', () => {
  it('writes "<Type> <child ids> <body length>", one 0x00, the body, and hashes all of it', () => {
    const object = buildObject('RecordDict', [ID, 'd'.repeat(64)], bytesOf('{}'));
    expect(Buffer.from(object.bytes).toString('latin1')).toBe(`RecordDict ${ID},${'d'.repeat(64)} 2\0{}`);
    expect(object.id).toBe(idOf(object.bytes));
    expect(Buffer.from(buildObject('ArrayChunk', [], new Uint8Array([0, 1])).bytes).toString('latin1')).toBe('ArrayChunk  2\0\0\x01');
  });
});

describe('parseObject', () => {
  const check = (text: string, message: RegExp) => {
    const bytes = bytesOf(text);
    expect(() => parseObject(idOf(bytes), bytes)).toThrow(WireError);
    expect(() => parseObject(idOf(bytes), bytes)).toThrow(message);
  };

  it('splits a well-formed object', () => {
    const bytes = bytesOf(`Array ${ID} 3\0abc`);
    const { body, ...rest } = parseObject(idOf(bytes), bytes);
    expect(rest).toEqual({ id: idOf(bytes), type: 'Array', childIds: [ID] });
    expect(Buffer.from(body).toString()).toBe('abc');
  });

  it('refuses bytes that do not hash to the id, naming both', () => {
    expect(() => parseObject(ID, bytesOf('ArrayChunk  0\0'))).toThrow(
      new RegExp(`^object ${ID}: its 14 bytes hash to ${idOf(bytesOf('ArrayChunk  0\0'))}; refused$`),
    );
  });

  it.each([
    ['no divider', 'ArrayChunk  0', /no 0x00 between header and body/],
    ['an unknown type', 'Pickle  0\0', /unknown object type "Pickle"/],
    ['a header with four parts', 'Array a b 0\0', /is not "<type> <child ids> <body length>"/],
    ['a child that is not an id', 'Array ABC 0\0', /child id "ABC" is not a SHA-256 hex id/],
    ['an uppercase child id', `Array ${'C'.repeat(64)} 0\0`, /is not a SHA-256 hex id/],
    ['a body length that lies', 'ArrayChunk  5\0abc', /header says the body has 5 bytes, it has 3/],
    ['a body length with a sign', 'ArrayChunk  +3\0abc', /header says the body has \+3 bytes/],
    ['a header that is not UTF-8', 'Array\xff  0\0', /header is not UTF-8/],
  ])('refuses %s', (_case, text, message) => check(text, message));
});

describe('pythonJson', () => {
  it('writes json.dumps output: ", " and ": ", non-ASCII as \\uXXXX (surrogate pairs for astral), DEL escaped', () => {
    const text = pythonJson(
      new Map<string, string>([
        ['größe', 'a"b\\c\n'],
        ['😀\u007f', ''],
        ['10', 'x'],
        ['2', 'y'],
      ]),
    );
    expect(text).toBe('{"gr\\u00f6\\u00dfe": "a\\"b\\\\c\\n", "\\ud83d\\ude00\\u007f": "", "10": "x", "2": "y"}');
    expect(pythonJson({ dtype: 'float32', shape: [], stype: 'numpy.ndarray', arraychunk_ids: [0, 1, 1] })).toBe(
      '{"dtype": "float32", "shape": [], "stype": "numpy.ndarray", "arraychunk_ids": [0, 1, 1]}',
    );
    expect(() => pythonJson(0.5)).toThrow(/cannot write 0.5 as a Python int/);
  });
});

describe('parseStringEntries', () => {
  it("keeps the text's order, integer-like keys included, and reads compact JSON and escapes", () => {
    expect(parseStringEntries('{"10": "a", "2": "b", "x": "c"}', 'r')).toEqual([
      ['10', 'a'],
      ['2', 'b'],
      ['x', 'c'],
    ]);
    expect(parseStringEntries('{"gr\\u00f6\\u00dfe":"v","k":"\\"q\\""}', 'r')).toEqual([
      ['größe', 'v'],
      ['k', '"q"'],
    ]);
    expect(parseStringEntries(' { } ', 'r')).toEqual([]);
  });

  it.each([
    ['a non-string value', '{"a": 1}'],
    ['a trailing comma', '{"a": "b",}'],
    ['text after the object', '{"a": "b"} x'],
    ['a list', '["a"]'],
    ['an unterminated object', '{"a": "b"'],
  ])('refuses %s', (_case, text) => {
    expect(() => parseStringEntries(text, 'ArrayRecord x')).toThrow(/^ArrayRecord x: body is not a JSON object of strings/);
  });

  it('refuses a key named twice', () => {
    expect(() => parseStringEntries('{"a": "b", "a": "c"}', 'r')).toThrow(/r: body names the same key twice/);
  });
});
