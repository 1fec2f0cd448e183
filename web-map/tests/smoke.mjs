// Manual check: node tests/smoke.mjs http://127.0.0.1:8090 out.png
import { launch } from './browser.mjs';
const [url, out] = process.argv.slice(2);
const b = await launch();
b.page.on('requestfailed', (r) => console.log('FAILED', r.url()));
await b.page.goto(url);
await b.page.waitForSelector('body[data-ready=true]', { timeout: 30000, state: 'attached' }).catch((e) => console.log('not ready', e.message));
await b.page.waitForTimeout(1000);
await b.page.screenshot({ path: out });
console.log('errors', b.errors);
await b.close();
