#!/usr/bin/env node
// Entry point of `npx de2-node`: runs the built CLI (npm ci builds it through `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
