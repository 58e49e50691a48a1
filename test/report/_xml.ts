/** A small XML well-formedness check for the report's SVG (no parser dependency). */
export function assertWellFormedXml(xml: string): void {
  const token = /<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|[^<]+/y;
  const entity = /&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  while (pos < xml.length) {
    token.lastIndex = pos;
    const m = token.exec(xml);
    if (m === null) throw new Error(`not well-formed at ${pos}: ${JSON.stringify(xml.slice(pos, pos + 60))}`);
    pos = token.lastIndex;
    const [whole, closing, name, attributes, selfClosing] = m;
    if (whole.startsWith('<!--')) continue;
    if (name === undefined) {
      if (stack.length === 0 && whole.trim() !== '') throw new Error(`text outside the root: ${JSON.stringify(whole)}`);
      if (whole.replace(entity, '').includes('&')) throw new Error(`raw & in text: ${JSON.stringify(whole)}`);
      continue;
    }
    if (closing === '/') {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open at ${pos}`);
      continue;
    }
    if (stack.length === 0) roots++;
    const seen = new Set<string>();
    for (const [, key, value] of attributes!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (seen.has(key!)) throw new Error(`attribute ${key} twice on <${name}>`);
      seen.add(key!);
      if (value!.replace(entity, '').includes('&')) throw new Error(`raw & in attribute ${key}="${value}"`);
    }
    if (selfClosing !== '/') stack.push(name!);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}
