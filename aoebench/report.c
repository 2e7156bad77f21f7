/*
 * Results: counters, a log-linear latency histogram (64 buckets per power
 * of two, so percentiles are within about 1.5 %), and the output as a
 * table or as one JSON object.
 */
#include <stdio.h>
#include <string.h>

#include "aoebench.h"

#define REPORT_SUB	64	/* buckets per power of two */
#define REPORT_SUBBITS	6

void
report_init(struct report *r, const char *command, const struct target *t)
{
	memset(r, 0, sizeof(*r));
	r->command = command;
	snprintf(r->target, sizeof(r->target), "e%u.%u", t->shelf, t->slot);
}

static unsigned
report_bucket(uint64_t v)
{
	unsigned	 k;

	if (v < REPORT_SUB)
		return v;
	k = 63 - __builtin_clzll(v);
	if ((k - REPORT_SUBBITS + 1) * REPORT_SUB >= REPORT_BUCKETS)
		return REPORT_BUCKETS - 1;
	return (k - REPORT_SUBBITS + 1) * REPORT_SUB +
	    ((v >> (k - REPORT_SUBBITS)) & (REPORT_SUB - 1));
}

/* The middle of bucket i. */
static uint64_t
report_bucket_value(unsigned i)
{
	unsigned	 k, sub;

	if (i < REPORT_SUB)
		return i;
	k = i / REPORT_SUB + REPORT_SUBBITS - 1;
	sub = i % REPORT_SUB;
	return ((uint64_t)(REPORT_SUB + sub) << (k - REPORT_SUBBITS)) +
	    ((1ULL << (k - REPORT_SUBBITS)) >> 1);
}

void
report_latency(struct report *r, uint64_t usec)
{
	r->lat[report_bucket(usec)]++;
	r->lat_count++;
	if (usec > r->lat_max)
		r->lat_max = usec;
}

uint64_t
report_percentile(const struct report *r, double pct)
{
	uint64_t	 rank, seen = 0, v;
	unsigned	 i;

	if (r->lat_count == 0)
		return 0;
	rank = (uint64_t)(pct / 100.0 * r->lat_count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < REPORT_BUCKETS; i++) {
		seen += r->lat[i];
		if (seen >= rank)
			break;
	}
	v = report_bucket_value(i < REPORT_BUCKETS ? i : REPORT_BUCKETS - 1);
	return v > r->lat_max ? r->lat_max : v;
}

void
report_merge(struct report *a, const struct report *b)
{
	unsigned	 i;

	a->bytes += b->bytes;
	a->requests += b->requests;
	a->reads += b->reads;
	a->writes += b->writes;
	a->frames += b->frames;
	a->retransmits += b->retransmits;
	a->late += b->late;
	a->aoe_errors += b->aoe_errors;
	a->bad += b->bad;
	a->errors += b->errors;
	a->mismatches += b->mismatches;
	a->crc_errors += b->crc_errors;
	a->rediscoveries += b->rediscoveries;
	a->resplits += b->resplits;
	if (a->fsect_first == 0)
		a->fsect_first = b->fsect_first;
	if (a->fsect_min == 0 || b->fsect_min < a->fsect_min)
		a->fsect_min = b->fsect_min;
	a->fsect_last = b->fsect_last;
	a->seconds += b->seconds;
	a->lat_count += b->lat_count;
	if (b->lat_max > a->lat_max)
		a->lat_max = b->lat_max;
	for (i = 0; i < REPORT_BUCKETS; i++)
		a->lat[i] += b->lat[i];
}

static double
report_rate(uint64_t n, double seconds)
{
	return seconds > 0 ? n / seconds : 0;
}

static void
report_json_fields(const struct report *r)
{
	printf("\"command\":\"%s\",\"target\":\"%s\",\"bytes\":%llu,"
	    "\"requests\":%llu,\"read_requests\":%llu,\"write_requests\":%llu,"
	    "\"frames\":%llu,\"seconds\":%.6f,"
	    "\"iops\":%.1f,\"mbps\":%.3f,\"lat_p50_us\":%llu,"
	    "\"lat_p99_us\":%llu,\"lat_p999_us\":%llu,\"lat_max_us\":%llu,"
	    "\"retransmits\":%llu,\"late\":%llu,\"aoe_errors\":%llu,"
	    "\"bad_replies\":%llu,\"errors\":%llu,\"mismatches\":%llu,"
	    "\"crc_errors\":%llu,\"rediscoveries\":%llu,\"resplits\":%llu,"
	    "\"frame_sectors_first\":%u,\"frame_sectors_min\":%u,"
	    "\"frame_sectors_last\":%u",
	    r->command, r->target, (unsigned long long)r->bytes,
	    (unsigned long long)r->requests, (unsigned long long)r->reads,
	    (unsigned long long)r->writes, (unsigned long long)r->frames,
	    r->seconds, report_rate(r->requests, r->seconds),
	    report_rate(r->bytes, r->seconds) / 1e6,
	    (unsigned long long)report_percentile(r, 50),
	    (unsigned long long)report_percentile(r, 99),
	    (unsigned long long)report_percentile(r, 99.9),
	    (unsigned long long)r->lat_max,
	    (unsigned long long)r->retransmits, (unsigned long long)r->late,
	    (unsigned long long)r->aoe_errors, (unsigned long long)r->bad,
	    (unsigned long long)r->errors, (unsigned long long)r->mismatches,
	    (unsigned long long)r->crc_errors,
	    (unsigned long long)r->rediscoveries,
	    (unsigned long long)r->resplits, r->fsect_first, r->fsect_min,
	    r->fsect_last);
}

static void
report_row(const struct report *r)
{
	printf("%-12s %-8s %12llu %9llu %9llu %8.3f %9.0f %8.2f %7llu %7llu "
	    "%7llu %7llu %6llu %6llu %8llu\n", r->command, r->target,
	    (unsigned long long)r->bytes, (unsigned long long)r->requests,
	    (unsigned long long)r->frames, r->seconds,
	    report_rate(r->requests, r->seconds),
	    report_rate(r->bytes, r->seconds) / 1e6,
	    (unsigned long long)report_percentile(r, 50),
	    (unsigned long long)report_percentile(r, 99),
	    (unsigned long long)report_percentile(r, 99.9),
	    (unsigned long long)r->retransmits, (unsigned long long)r->late,
	    (unsigned long long)r->errors, (unsigned long long)r->mismatches);
}

/*
 * Under the table, and only when the path changed under a phase: a line per
 * phase.  Its own first word, and no new column in the table, so scripts
 * that read the table ($NF, fixed columns) read the same thing as before.
 */
static void
report_mix_lines(struct report *const *phases, unsigned n)
{
	const struct report	*r;
	unsigned		 i;

	for (i = 0; i < n; i++) {
		r = phases[i];
		if (!r->mixed)
			continue;
		printf("mix          %-8s %s: %llu reads, %llu writes (%.1f%% "
		    "reads)\n", r->target, r->command,
		    (unsigned long long)r->reads, (unsigned long long)r->writes,
		    r->requests ? 100.0 * r->reads / r->requests : 0.0);
	}
}

static void
report_path_lines(struct report *const *phases, unsigned n)
{
	const struct report	*r;
	unsigned		 i;

	for (i = 0; i < n; i++) {
		r = phases[i];
		if (r->rediscoveries == 0)
			continue;
		printf("rediscovery  %-8s %s: %llu re-discoveries, %llu frames "
		    "re-split, sectors per frame %u at start, %u at least, "
		    "%u at the end\n", r->target, r->command,
		    (unsigned long long)r->rediscoveries,
		    (unsigned long long)r->resplits, r->fsect_first,
		    r->fsect_min, r->fsect_last);
	}
}

void
report_print(struct report *const *phases, unsigned n, int json)
{
	static struct report	 total;
	unsigned		 i;

	if (n > 1) {
		memset(&total, 0, sizeof(total));
		total.command = "total";
		memcpy(total.target, phases[0]->target, sizeof(total.target));
		for (i = 0; i < n; i++)
			report_merge(&total, phases[i]);
	}
	if (json) {
		/* one object: the totals, and each phase when there are several */
		printf("{");
		if (n > 1) {
			report_json_fields(&total);
			printf(",\"phases\":[");
			for (i = 0; i < n; i++) {
				printf("%s{", i ? "," : "");
				report_json_fields(phases[i]);
				printf("}");
			}
			printf("]");
		} else
			report_json_fields(phases[0]);
		printf("}\n");
		return;
	}
	printf("%-12s %-8s %12s %9s %9s %8s %9s %8s %7s %7s %7s %7s %6s %6s "
	    "%8s\n", "command", "target", "bytes", "requests", "frames",
	    "seconds", "IOPS", "MB/s", "p50us", "p99us", "p99.9us", "rexmit",
	    "late", "errors", "mismatch");
	for (i = 0; i < n; i++)
		report_row(phases[i]);
	if (n > 1)
		report_row(&total);
	report_mix_lines(phases, n);
	report_path_lines(phases, n);
}

void
report_json_string(FILE *f, const char *s, size_t len)
{
	size_t		 i;
	unsigned char	 c;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
report_text_string(FILE *f, const char *s, size_t len)
{
	size_t		 i;
	unsigned char	 c;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
