/* Package-manager launchers: `npm run dev`, `npx tsx server.ts`, `yarn dev`,
 * `pnpm start`, `node --run dev` as the app's command.
 *
 * Such a launcher runs the script in a shell (`sh -c "node server.js"`) in its
 * own process group and, on SIGTERM, passes it on and then ends itself by that
 * signal (npm 11: 143, even when the script exited 0), or leaves the script
 * running as an orphan. To see the script's own status, the stop must reach
 * the script and not the launcher: see proc_signal_script(). */
#ifndef PE_LAUNCHER_H
#define PE_LAUNCHER_H

#include <stdbool.h>

/* Whether argv starts a known package-manager launcher: argv[0] named npm,
 * npx, yarn, yarnpkg, pnpm or pnpx (any folder), or node with --run. */
bool launcher_is_package_manager(const char *const *argv);

#endif
