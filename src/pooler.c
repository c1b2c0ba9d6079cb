#include "pooler.h"

#include "url.h"

#include <stdio.h>
#include <string.h>

/* Supavisor listens in session mode on 5432 and in transaction mode on
 * 6543, on the same host name. */
#define SUPAVISOR_SESSION_PORT  5432
#define TRANSACTION_POOLER_PORT 6543

static bool host_looks_pooled(const struct url_host *host)
{
	if (strstr(host->name, "-pooler."))
		return true;
	return strstr(host->name, "pooler.supabase.com") && host->port != SUPAVISOR_SESSION_PORT && host->port != 0;
}

bool pooler_url_looks_pooled(const char *text, char *why, size_t why_size)
{
	struct url url;
	char error[512];
	const char *flag;
	bool pooled = false;

	if (why_size > 0)
		why[0] = '\0';
	if (!text || url_parse(text, &url, error, sizeof(error)) < 0)
		return false;
	flag = url_param(&url, "pgbouncer");
	if (flag && strcmp(flag, "true") == 0) {
		snprintf(why, why_size, "pgbouncer=true");
		pooled = true;
	}
	for (size_t i = 0; i < url.host_count && !pooled; i++) {
		const struct url_host *host = &url.hosts[i];

		if (host->port == TRANSACTION_POOLER_PORT) {
			snprintf(why, why_size, "port %u", host->port);
			pooled = true;
		} else if (host_looks_pooled(host)) {
			snprintf(why, why_size, "host %.200s", host->name);
			pooled = true;
		}
	}
	url_release(&url);
	return pooled;
}
