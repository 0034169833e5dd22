#include "hist.h"

// Below 1024 us one bucket per microsecond; above, 128 buckets per power of two.
static unsigned bucket_of(uint64_t us)
{
    if (us < HIST_EXACT)
        return (unsigned)us;
    const int e = 63 - __builtin_clzll(us); // >= 10
    const unsigned sub = (unsigned)(us >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1);
    return HIST_EXACT + (unsigned)(e - 10) * (1u << HIST_SUB_BITS) + sub;
}

static double value_of(unsigned bucket)
{
    if (bucket < HIST_EXACT)
        return bucket;
    const unsigned rel = bucket - HIST_EXACT;
    const int e = 10 + (int)(rel >> HIST_SUB_BITS);
    const uint64_t sub = rel & ((1u << HIST_SUB_BITS) - 1);
    const uint64_t low = (1ull << e) | (sub << (e - HIST_SUB_BITS));
    const uint64_t width = 1ull << (e - HIST_SUB_BITS);
    return (double)low + (double)width / 2; // the middle of the bucket
}

void hist_add(struct hist *h, uint64_t us)
{
    h->buckets[bucket_of(us)]++;
    h->count++;
    if (us > h->max)
        h->max = us;
}

double hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            const double v = value_of(b);
            return v > (double)h->max ? (double)h->max : v;
        }
    }
    return (double)h->max;
}
