// `npx tsx examples/browser/serve.ts [--isolated] [--port 8090]`: serves the browser example; open the URL.
import { startExampleServer } from './server.ts';

const argv = process.argv.slice(2);
const i = argv.indexOf('--port');
const { url } = await startExampleServer({
  isolated: argv.includes('--isolated'),
  port: i >= 0 ? Number(argv[i + 1]) : 8090,
});
console.log(`browser example at ${url}${argv.includes('--isolated') ? ' (cross-origin isolated)' : ''}`);
