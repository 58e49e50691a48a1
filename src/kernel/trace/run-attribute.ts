import { InvalidTrace, InvalidTraceRecord, describeValue } from '../errors.js';
import { decodeTraceText, encodeTraceText } from './escape.js';

/** A run attribute: a scalar whose type is written with it (`uint:5`, `string:smoke`, ...). */
export type AttributeValue = string | number | bigint | boolean;

/**
 * The typed trace form of an attribute value. Integers become `uint:` (non-negative) or `int:`,
 * other numbers `float:`, booleans `bool:` and text `string:` followed by the percent-encoded
 * text (so an empty string is `string:`).
 */
export function formatAttributeValue(value: AttributeValue, context: string): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new InvalidTraceRecord(`${context}: attribute text holds a lone UTF-16 surrogate`);
      return value.length === 0 ? 'string:' : `string:${encodeTraceText(value)}`;
    case 'bigint':
      return value < 0n ? `int:${value}` : `uint:${value}`;
    case 'number':
      // BigInt keeps integers past 2^53 in plain digits (String(1e21) would be "1e+21").
      if (Number.isInteger(value)) return value < 0 ? `int:${BigInt(value)}` : `uint:${BigInt(value)}`;
      return `float:${value}`;
    case 'boolean':
      return `bool:${value}`;
    default:
      throw new InvalidTraceRecord(`${context}: attribute must be a string, number, bigint or boolean, got ${describeValue(value)}`);
  }
}

/** Reads a typed attribute value back. Integers outside the safe range come back as bigint. */
export function parseAttributeValue(text: string): AttributeValue {
  const colon = text.indexOf(':');
  const type = colon < 0 ? '' : text.slice(0, colon);
  const body = text.slice(colon + 1);
  switch (type) {
    case 'string':
      return body.length === 0 ? '' : decodeTraceText(body);
    case 'uint':
    case 'int': {
      if (!/^-?[0-9]+$/.test(body)) break;
      const big = BigInt(body);
      const asNumber = Number(big);
      return Number.isSafeInteger(asNumber) ? asNumber : big;
    }
    case 'float':
      if (body.length > 0 && !Number.isNaN(Number(body)) || body === 'NaN') return Number(body);
      break;
    case 'bool':
      if (body === 'true' || body === 'false') return body === 'true';
      break;
  }
  throw new InvalidTrace(`parseAttributeValue: ${JSON.stringify(text)} is not a typed attribute value`);
}
