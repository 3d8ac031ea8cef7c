// Times graphql-armor's verdict on graphql-js for each document of the
// spec file argv[2] ({sdl, docs: [{name, query}], settings: [{name, tokens,
// aliases, depth, directives, cost}], minMillis}) and prints one JSON
// array of {doc, setting, nsPerOp (CPU time), verdict}. The verdict is what a server
// using armor's rules would do: parse with armor's token limit, then
// validate with graphql-js's rules and armor's. Setting "bare" is
// graphql-js alone (parse, then validate with its own rules): what the
// server pays without armor. Every document runs untimed for a quarter of
// the time first, in a whole pass, so that V8 has compiled what it times.
import { readFileSync } from 'node:fs';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const schema = buildSchema(spec.sdl);
const out = [];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; }; // ns

// timeIt returns the CPU time per call of verdict on texts not seen
// recently (the document plus a numbered comment, built beforehand, as on
// Rampart's side), run for at least millis of CPU time.
function timeIt(query, verdict, millis) {
  const ring = [];
  for (let i = 0; i < (query.length > 4096 ? 64 : 2048); i++) ring.push(query + '\n# ' + i);
  let n = 0;
  const start = cpu();
  while (cpu() - start < millis * 1e6 || n < 3) {
    for (let k = 0; k < 10; k++) {
      verdict(ring[(n + 1) % ring.length]);
      n++;
    }
  }
  return (cpu() - start) / n;
}

const refusal = (e) => 'refused: ' + String(e.message).slice(0, 60);
const jobs = [];
for (const setting of spec.settings) {
  const rules = [
    ...specifiedRules,
    maxAliasesRule({ n: setting.aliases }),
    maxDepthRule({ n: setting.depth }),
    maxDirectivesRule({ n: setting.directives }),
    costLimitRule({ maxCost: setting.cost }),
  ];
  for (const doc of spec.docs) {
    jobs.push({ doc, setting: setting.name, verdict: (query) => {
      try {
        const ast = new MaxTokensParserWLexer(query, { n: setting.tokens }).parseDocument();
        const errors = validate(schema, ast, rules);
        return errors.length ? refusal(errors[0]) : 'accepted';
      } catch (e) {
        return refusal(e);
      }
    } });
  }
}
for (const doc of spec.docs) {
  jobs.push({ doc, setting: 'bare', verdict: (query) => {
    try {
      const errors = validate(schema, parse(query));
      return errors.length ? refusal(errors[0]) : 'accepted';
    } catch (e) {
      return refusal(e);
    }
  } });
}
// A whole untimed pass first: V8 compiles what it runs, and the first
// document timed would otherwise pay for it.
for (const j of jobs) timeIt(j.doc.query, j.verdict, spec.minMillis / 4);
for (const j of jobs) {
  out.push({ doc: j.doc.name, setting: j.setting, nsPerOp: timeIt(j.doc.query, j.verdict, spec.minMillis), verdict: j.verdict(j.doc.query) });
}
process.stdout.write(JSON.stringify(out) + '\n');
