/* libpq's function table, shared by the pg-*.c files, the only ones that
 * include this header (and libpq-fe.h through it).
 *
 * The table is loaded on first use (dynlib.h): call pglib_load() before any
 * pglib.NAME(...); it returns 0, or -1 with a one-line reason in error
 * ("cannot load libpq.so.5: ..."), and a failed load is retried on the next
 * call. In the static build the linker fills the table and pglib_load()
 * always succeeds. */
#ifndef PE_PG_LIB_H
#define PE_PG_LIB_H

#include "dynlib.h"

#include <libpq-fe.h>

/* One slot per function the pg-*.c files use. */
/* clang-format off */
#define PGLIB_FUNCTIONS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconndefaults) \
	X(PQconnectPoll) \
	X(PQconnectStartParams) \
	X(PQconninfoFree) \
	X(PQconninfoParse) \
	X(PQconsumeInput) \
	X(PQerrorMessage) \
	X(PQfinish) \
	X(PQflush) \
	X(PQgetCopyData) \
	X(PQputCopyEnd) \
	X(PQfreeCancel) \
	X(PQgetCancel) \
	X(PQcancel) \
	X(PQescapeIdentifier) \
	X(PQfreemem) \
	X(PQgetResult) \
	X(PQgetvalue) \
	X(PQisBusy) \
	X(PQlibVersion) \
	X(PQntuples) \
	X(PQparameterStatus) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQuery) \
	X(PQsendQueryParams) \
	X(PQsetErrorVerbosity) \
	X(PQsetNoticeProcessor) \
	X(PQsetnonblocking) \
	X(PQsocket) \
	X(PQstatus)
/* clang-format on */
DYNLIB_DECLARE(pglib, pglib_load, PGLIB_FUNCTIONS)

#endif
