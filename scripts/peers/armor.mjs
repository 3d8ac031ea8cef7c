// Times graphql-armor's verdict on graphql-js for each document of the
// spec file argv[2] ({sdl, docs: [{name, query}], settings: [{name, tokens,
// aliases, depth, directives, cost}], minMillis}) and prints one JSON
// array of {doc, setting, nsPerOp (CPU time), verdict}. The verdict is what a server
// using armor's rules would do: parse with armor's token limit, then
// validate with graphql-js's rules and armor's.
import { readFileSync } from 'node:fs';
import { buildSchema, specifiedRules, validate } from 'graphql';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const schema = buildSchema(spec.sdl);
const out = [];
for (const setting of spec.settings) {
  const rules = [
    ...specifiedRules,
    maxAliasesRule({ n: setting.aliases }),
    maxDepthRule({ n: setting.depth }),
    maxDirectivesRule({ n: setting.directives }),
    costLimitRule({ maxCost: setting.cost }),
  ];
  for (const doc of spec.docs) {
    const verdict = (query) => {
      try {
        const ast = new MaxTokensParserWLexer(query, { n: setting.tokens }).parseDocument();
        const errors = validate(schema, ast, rules);
        return errors.length ? 'refused: ' + errors[0].message.slice(0, 60) : 'accepted';
      } catch (e) {
        return 'refused: ' + String(e.message).slice(0, 60);
      }
    };
    const first = verdict(doc.query);
    // Texts not seen recently, built beforehand, as on Rampart's side.
    const ring = [];
    for (let i = 0; i < (doc.query.length > 4096 ? 64 : 2048); i++) ring.push(doc.query + '\n# ' + i);
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; }; // ns
    let n = 0;
    const start = cpu();
    const min = spec.minMillis * 1e6;
    while (cpu() - start < min || n < 3) {
      for (let k = 0; k < 10; k++) {
        verdict(ring[(n + 1) % ring.length]);
        n++;
      }
    }
    const elapsed = cpu() - start;
    out.push({ doc: doc.name, setting: setting.name, nsPerOp: elapsed / n, verdict: first });
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
