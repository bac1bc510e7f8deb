/**
 * Strict XML 1.0 reading and writing for the MNS emulator (internal to `emulators/mns`).
 *
 * `fast-xml-parser`'s validator checks tags and attributes but lets through what a real XML
 * parser refuses, so the checks it misses are made here: bytes must be UTF-8, every character
 * must be an XML 1.0 `Char` (https://www.w3.org/TR/xml/#charsets), only the five predefined
 * entities and character references are known (no DOCTYPE, so no others), and there is exactly
 * one root element. Line ends are normalised as XML 1.0 requires. Text is then decoded by hand (the parser's entity handling skips numeric
 * character references), CDATA sections taken verbatim, and nothing trimmed, so an escaped
 * `MessageBody` comes out byte-exact.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One element: its local name as written, its attributes, its child elements and its text. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The concatenated character data directly inside this element (entities decoded). */
  readonly text: string;
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

const CDATA = '__cdata';
const TEXT = '#text';
const ATTRIBUTES = ':@';
const ATTRIBUTE_PREFIX = '@_';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** XML 1.0 `Char` production. */
const XML_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const PREDEFINED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Parses a whole document. @throws XmlSyntaxError when it is not well-formed. */
export function parseXmlDocument(bytes: Uint8Array): XmlElement {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new XmlSyntaxError('the body is not valid UTF-8');
  }
  if (!XML_CHARS.test(text)) throw new XmlSyntaxError('the body contains a character XML forbids');
  // End-of-line handling (XML 1.0 section 2.11): a conforming parser reads a literal CR LF or
  // lone CR as LF; only `&#13;` keeps a CR.
  text = text.replace(/\r\n?/g, '\n');
  const rootStart = text.search(/<[A-Za-z_:]/);
  if (rootStart < 0) throw new XmlSyntaxError('there is no root element');
  if (text.slice(0, rootStart).includes('<!DOCTYPE')) {
    throw new XmlSyntaxError('DOCTYPE declarations are not accepted');
  }
  const verdict = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (verdict !== true) {
    throw new XmlSyntaxError(
      `${verdict.err.msg} (line ${verdict.err.line}, column ${verdict.err.col})`,
    );
  }
  const nodes = parser.parse(text) as unknown[];
  const roots: XmlElement[] = [];
  for (const node of nodes) {
    const element = toElement(node);
    if (element) roots.push(element);
    else if (textOf(node).trim() !== '') throw new XmlSyntaxError('text outside the root element');
  }
  const [root, ...others] = roots;
  if (!root || others.length > 0)
    throw new XmlSyntaxError('a document has exactly one root element');
  return root;
}

function toElement(node: unknown): XmlElement | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const record = node as Record<string, unknown>;
  const name = Object.keys(record).find((key) => key !== ATTRIBUTES);
  if (name === undefined || name === TEXT || name === CDATA) return undefined;
  const attributes: Record<string, string> = {};
  const rawAttributes = record[ATTRIBUTES];
  if (typeof rawAttributes === 'object' && rawAttributes !== null) {
    for (const [key, value] of Object.entries(rawAttributes)) {
      attributes[key.slice(ATTRIBUTE_PREFIX.length)] = decodeEntities(String(value));
    }
  }
  const children: XmlElement[] = [];
  let text = '';
  const content = record[name];
  for (const child of Array.isArray(content) ? content : []) {
    const element = toElement(child);
    if (element) children.push(element);
    else text += textOf(child);
  }
  return { name, attributes, children, text };
}

function textOf(node: unknown): string {
  if (typeof node !== 'object' || node === null) return '';
  const record = node as Record<string, unknown>;
  if (TEXT in record) return decodeEntities(String(record[TEXT]));
  const cdata = record[CDATA];
  if (Array.isArray(cdata)) {
    return cdata
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && TEXT in part
          ? String((part as Record<string, unknown>)[TEXT])
          : '',
      )
      .join('');
  }
  return '';
}

/** Decodes the predefined entities and character references; anything else is an error. */
export function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&]*)(;?)/g, (_whole, ref: string, semicolon: string) => {
    if (semicolon !== ';') throw new XmlSyntaxError(`a bare '&' must be written &amp;`);
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!numeric) throw new XmlSyntaxError(`unknown entity &${ref};`);
    const codePoint =
      numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
    const char = codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
    if (char === '' || !XML_CHARS.test(char)) {
      throw new XmlSyntaxError(`&${ref}; refers to a character XML forbids`);
    }
    return char;
  });
}

/**
 * Escapes character data for an element. `\r` becomes `&#13;` so that a conforming parser on the
 * other side does not fold it into `\n` (XML 1.0 section 2.11, end-of-line handling).
 */
export function escapeXmlText(value: string): string {
  return value.replace(/[&<>\r]/g, (char) => {
    switch (char) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default:
        return '&#13;';
    }
  });
}

/** Serializes `<name>text</name>` children in order; nested arrays become nested elements. */
export type XmlContent = ReadonlyArray<readonly [string, string | number | XmlContent]>;

export function renderXml(root: string, namespace: string, content: XmlContent): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${renderContent(content)}</${root}>`;
}

function renderContent(content: XmlContent): string {
  return content
    .map(([name, value]) =>
      typeof value === 'object'
        ? `<${name}>${renderContent(value)}</${name}>`
        : `<${name}>${escapeXmlText(String(value))}</${name}>`,
    )
    .join('');
}
