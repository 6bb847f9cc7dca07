#!/usr/bin/env node
// Entry point of the `tributary` command: runs the compiled CLI (npm ci builds it through `prepare`).
import { main } from '../dist/main/cli/index.js';

process.exitCode = await main(process.argv.slice(2));
