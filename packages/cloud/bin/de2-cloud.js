#!/usr/bin/env node
// Entry point of `npx de2-cloud`: runs the built CLI.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
