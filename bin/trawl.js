#!/usr/bin/env node
// The published bin: registers tsx so the TypeScript sources run as they are, without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every process under Node 20 that its releases from 2027 will need Node 22.
// trawl pins an SDK that supports Node 20 (README, "Development"): the warning says nothing to act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli.ts');
