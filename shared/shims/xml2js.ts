/**
 * Bundle-time stand-in for `xml2js`, whose only use in the tracker's bundle is *parsing*: by
 * `@alicloud/mns` (`xml2js.parseString(xml, cb)` with the default options) and by `@alicloud/tea-xml`
 * (`new xml2js.Parser({ explicitArray: false }).parseString(xml, cb)`, for XML error bodies). The real
 * package also loads its XML *builder* (`xmlbuilder`, 67 KB of the bundle) at start-up.
 *
 * This parses with `sax` in strict mode, as xml2js does, and reproduces xml2js's output rules for
 * those options (xml2js `lib/parser.js`): the root is `{ name: node }`; attributes go under `$`; an
 * element with only text becomes the string; an empty one becomes `''`; whitespace-only text beside
 * child elements is dropped; mixed text goes under `_`; with `explicitArray` (the default) every child
 * is an array, without it repeated children become arrays. The callback is called synchronously, as
 * xml2js does with `async: false` (tea-xml relies on it). `test/shared/shims/xml2js.test.ts` compares
 * this with the real xml2js (0.4.23 and 0.6.2, the versions the SDKs depend on) on MNS and POP bodies.
 */
import sax from 'sax';

export interface ParserOptions {
  readonly explicitArray?: boolean;
}

type Node = Record<string, unknown>;

const ATTR_KEY = '$';
const CHAR_KEY = '_';

function parse(xml: string, explicitArray: boolean): Node {
  const parser = sax.parser(true, {});
  const stack: Array<{ name: string; node: Node; text: string; cdata: boolean }> = [];
  let root: Node | undefined;
  let error: Error | undefined;

  parser.onerror = (e) => {
    error ??= e;
    // Stop at the first error, as xml2js reports the first one.
    parser.close();
  };
  parser.onopentag = (tag) => {
    const node: Node = {};
    const attrs = tag.attributes as Record<string, string>;
    if (Object.keys(attrs).length > 0) node[ATTR_KEY] = { ...attrs };
    stack.push({ name: tag.name, node, text: '', cdata: false });
  };
  parser.ontext = (text) => {
    const top = stack.at(-1);
    if (top !== undefined) top.text += text;
  };
  parser.oncdata = (text) => {
    const top = stack.at(-1);
    if (top !== undefined) {
      top.text += text;
      top.cdata = true;
    }
  };
  parser.onclosetag = () => {
    const frame = stack.pop();
    if (frame === undefined) return;
    let value: unknown = frame.node;
    const hasText = frame.text !== '' && (frame.cdata || /\S/.test(frame.text));
    if (hasText) frame.node[CHAR_KEY] = frame.text;
    const keys = Object.keys(frame.node);
    if (keys.length === 0) value = frame.text !== '' && !hasText ? frame.text : '';
    else if (keys.length === 1 && hasText) value = frame.text;
    const parent = stack.at(-1);
    if (parent === undefined) {
      root = { [frame.name]: value };
      return;
    }
    const existing = parent.node[frame.name];
    if (explicitArray) {
      parent.node[frame.name] = Array.isArray(existing) ? [...existing, value] : [value];
    } else if (existing === undefined) {
      parent.node[frame.name] = value;
    } else {
      parent.node[frame.name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  };
  parser.write(xml).close();
  if (error !== undefined) throw error;
  if (root === undefined) throw new Error('Non-whitespace before first tag or no root element.');
  return root;
}

export function parseString(
  xml: string,
  optionsOrCallback: ParserOptions | ((err: Error | null, result?: Node) => void),
  maybeCallback?: (err: Error | null, result?: Node) => void,
): void {
  const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
  const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
  let result: Node;
  try {
    result = parse(String(xml), options.explicitArray ?? true);
  } catch (error) {
    callback?.(error as Error);
    return;
  }
  callback?.(null, result);
}

export class Parser {
  readonly #options: ParserOptions;
  constructor(options: ParserOptions = {}) {
    this.#options = options;
  }
  parseString(xml: string, callback: (err: Error | null, result?: Node) => void): void {
    parseString(xml, this.#options, callback);
  }
}

/** XML building is not bundled: the tracker never sends XML through openapi-client. */
export class Builder {
  buildObject(): string {
    throw new Error('xml2js Builder is not bundled in das-kill-tracker');
  }
}

export default { parseString, Parser, Builder };
