/*
 * progress.c - a one-line progress bar on stderr, drawn only when stderr is a
 * terminal (so scripts and pipes never see it).
 */
#define _POSIX_C_SOURCE 200809L

#include "srd.h"

#include <unistd.h>

#define SRD_BAR_WIDTH 30

void srdcli_progress_init(srdcli_progress *p, const char *label) {
    p->label = label;
    p->enabled = isatty(STDERR_FILENO) == 1;
    p->drawn = 0;
    p->last_percent = -1;
}

void srdcli_progress_update(srdcli_progress *p, uint64_t done, uint64_t total) {
    if (p == NULL || !p->enabled) return;
    int percent;
    if (total == 0 || done >= total) {
        percent = 100;
    } else {
        percent = (int)((double)done / (double)total * 100.0);
        if (percent > 99) percent = 99; /* 100 only when really done */
    }
    if (percent == p->last_percent) return;
    p->last_percent = percent;
    char bar[SRD_BAR_WIDTH + 1];
    int filled = percent * SRD_BAR_WIDTH / 100;
    for (int i = 0; i < SRD_BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[SRD_BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%%", p->label, bar, percent);
    fflush(stderr);
    p->drawn = 1;
}

void srdcli_progress_callback(void *user_data, uint64_t done, uint64_t total) {
    srdcli_progress_update((srdcli_progress *)user_data, done, total);
}

void srdcli_progress_finish(srdcli_progress *p) {
    if (p == NULL || !p->drawn) return;
    fputc('\n', stderr);
    fflush(stderr);
    p->drawn = 0;
}
