// YAML for large documents (rosters and token files of 100,000 sites): the yaml library's own
// duplicate-key check is quadratic (over a minute and a half for 100,000 keys), so it is turned off
// and replaced by a linear one over every mapping of the document.
import YAML from 'yaml';

/** Parses `text`; throws on a syntax error or a key listed twice in one mapping (naming the key). */
export function parseYaml(text: string): unknown {
  const doc = YAML.parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length) throw doc.errors[0]!;
  YAML.visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const item of map.items) {
        const k = String(YAML.isScalar(item.key) ? item.key.value : item.key);
        if (seen.has(k)) throw new Error(`"${k}" is listed twice`);
        seen.add(k);
      }
    },
  });
  return doc.toJS();
}
