#!/usr/bin/env node
// Committed so that `npm ci` links `ingot` before the build; the command itself is dist/main.js.
import '../dist/main.js';
