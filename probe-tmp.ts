import { main } from './src/cli.ts';
import { consoleOutput } from './src/runtime/paper.ts';
const code = await main(['paper','--venue','lighter-sim','--duration','4s','--store','/tmp/lt/q.sqlite','--events','/tmp/lt/q.jsonl'], { out: consoleOutput(), env: process.env });
console.log('code', code, process.getActiveResourcesInfo());
setTimeout(() => console.log('later', process.getActiveResourcesInfo()), 1500).unref();
