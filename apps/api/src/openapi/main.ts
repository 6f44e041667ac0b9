import { writeFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiText } from './document.js';

// `npm run openapi`: regenerates docs/openapi.json after a route's schema changed.
writeFileSync(OPENAPI_FILE, await openApiText());
console.log(`wrote ${OPENAPI_FILE}`);
