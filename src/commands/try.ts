// `trawl try`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { act } from './act.ts';
import { envHelp } from './env-help.ts';
import { parseUserData } from './option-parsers.ts';

export function registerTry(program: Command): void {
  program
    .command('try')
    .description('Run one route of a spider on one URL (fetched once, robots.txt respected) or a saved response file; follows nothing, writes nothing, prints what it would emit, enqueue and quarantine.')
    .argument('<spider>', 'the spider')
    .argument('<url-or-file>', 'an http(s) URL, or the path of a saved response body')
    .option('--route <label>', "the route (default: the route of the spider's first start request)")
    .option('--user-data <json>', 'userData for the request as a JSON object (default: that of a start request of the route)', parseUserData)
    .addHelpText('after', `${envHelp(['TRAWL_USER_AGENT', 'SOURCES_FILE'])}\nExit codes: 0 every record valid and the yield guard passes, 3 something would be quarantined or the yield guard fails, 1 the page could not be fetched or parsed, 2 usage.\n`)
    .action((name: string, target: string, o: { route?: string; userData?: Record<string, unknown> }) =>
      act({}, async (ctx) => {
        const [spider] = await (await import('../spiders/index.ts')).resolveSpiders([name]);
        const m = await import('../crawl/index.ts');
        const r = await m.tryRoute({ spider: spider!, target, route: o.route, userData: o.userData, config: ctx.config, log: ctx.log });
        process.stdout.write(m.formatTryResult(r));
        return r.yieldError || r.lines.some((l) => l.invalid) ? EXIT.partial : EXIT.ok;
      }),
    );
}
