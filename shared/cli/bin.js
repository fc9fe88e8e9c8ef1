#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, so a fresh clone needs only `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
