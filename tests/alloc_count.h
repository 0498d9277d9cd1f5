/* alloc_count.h - counts the allocations made while tu_alloc_counting is set, for the tests that
 * prove a path allocates nothing (learn, predict, librelearn's scoring). malloc, calloc and
 * realloc are wrapped at link time: the test executable links with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, and exactly one of its files includes this.
 * The count is atomic, so threads may allocate while it runs. */
#ifndef RL_TEST_ALLOC_COUNT_H
#define RL_TEST_ALLOC_COUNT_H

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);

static int tu_alloc_counting;
static unsigned long tu_allocs;

void *__wrap_malloc(size_t n)
{
    __atomic_add_fetch(&tu_allocs, (unsigned long)tu_alloc_counting, __ATOMIC_RELAXED);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t k)
{
    __atomic_add_fetch(&tu_allocs, (unsigned long)tu_alloc_counting, __ATOMIC_RELAXED);
    return __real_calloc(n, k);
}

void *__wrap_realloc(void *p, size_t n)
{
    __atomic_add_fetch(&tu_allocs, (unsigned long)tu_alloc_counting, __ATOMIC_RELAXED);
    return __real_realloc(p, n);
}

#endif
