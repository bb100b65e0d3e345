// `npx tsx examples/browser/serve.ts [--plain] [--port 8090]`: serves the browser example; open the URL. The page
// is cross-origin isolated (COOP/COEP), so it trains on the Web Worker pool; --plain leaves the headers out and
// it trains on one thread (the page's status line says which).
import { startExampleServer } from './server.ts';

const argv = process.argv.slice(2);
const i = argv.indexOf('--port');
const { url } = await startExampleServer({
  isolated: !argv.includes('--plain'),
  port: i >= 0 ? Number(argv[i + 1]) : 8090,
});
console.log(
  `browser example at ${url}${argv.includes('--plain') ? ' (not cross-origin isolated)' : ' (cross-origin isolated)'}`,
);
