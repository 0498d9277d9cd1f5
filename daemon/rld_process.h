/* rld_process.h - the standard process_* metrics every Prometheus client library exports
 * (CPU seconds, resident and virtual memory, open and maximum file descriptors, start time),
 * read from /proc/self at scrape time, so a dashboard built for any exporter works here. */
#ifndef RLD_PROCESS_H
#define RLD_PROCESS_H

#include <stdio.h>

/* Appends the process_* families to f. A /proc file that cannot be read leaves its metric out
 * (the scrape still succeeds). */
void rld_process_metrics(FILE *f);

#endif
