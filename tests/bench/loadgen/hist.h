// A latency histogram in microseconds with a fixed size (about 1% precision), so that
// millions of deliveries cost no memory per sample.
#ifndef SBLOAD_HIST_H
#define SBLOAD_HIST_H

#include <stdint.h>

#define HIST_EXACT 1024
#define HIST_SUB_BITS 7
#define HIST_BUCKETS (HIST_EXACT + (64 - 10) * (1 << HIST_SUB_BITS))

struct hist
{
    uint64_t count;
    uint64_t max;
    uint32_t buckets[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t us);
// The value (us) at quantile q in [0, 1]; 0 when empty.
double hist_quantile(const struct hist *h, double q);

#endif
