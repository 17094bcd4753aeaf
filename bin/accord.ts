#!/usr/bin/env node
// The `accord` command. Compiled to dist/bin/accord.js (`npm run build`); from the sources it runs with
// `node --import tsx bin/accord.ts`.
import { main } from '../cli/index.js';

await main(process.argv);
