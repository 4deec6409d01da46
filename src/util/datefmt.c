/* datefmt.c - calendar dates without locale or TZ dependence (Howard Hinnant's civil algorithms). */
#include "util/datefmt.h"

#include "util/error.h"

#include <stdbool.h>
#include <stdio.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

int mm_date_parse(const char *t, int64_t *ns_out)
{
    int v[3] = {0, 0, 0};
    static const int width[3] = {4, 2, 2};
    const char *p = t;
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < width[f]; i++, p++) {
            if (*p < '0' || *p > '9')
                return MM_EFORMAT;
            v[f] = v[f] * 10 + (*p - '0');
        }
        if (f < 2 && *p++ != '-')
            return MM_EFORMAT;
    }
    if (*p || v[0] < 1900 || v[0] > 2200 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        (unsigned)v[2] > days_in_month(v[0], (unsigned)v[1]))
        return MM_EFORMAT;
    *ns_out = days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * MM_NS_PER_DAY;
    return 0;
}

void mm_date_format(int64_t ns, char *buf, size_t buflen)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(ns, MM_NS_PER_DAY), &y, &m, &d);
    snprintf(buf, buflen, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t mm_date_add_months(int64_t ns, int months)
{
    int64_t days = floor_div(ns, MM_NS_PER_DAY), tod = ns - days * MM_NS_PER_DAY;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    y = floor_div(total, 12);
    m = (unsigned)(total - y * 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    return days_from_civil(y, m, d) * MM_NS_PER_DAY + tod;
}

void mm_iso_week(int64_t ns, char *buf, size_t buflen)
{
    int64_t days = floor_div(ns, MM_NS_PER_DAY);
    /* 1970-01-01 was a Thursday; ISO weekday 1 = Monday. */
    int64_t wd = (days + 3) - floor_div(days + 3, 7) * 7 + 1;
    int64_t thursday = days - wd + 4; /* the week's Thursday decides its year */
    int64_t y;
    unsigned m, d;
    civil_from_days(thursday, &y, &m, &d);
    int64_t week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
    snprintf(buf, buflen, "%04lld-W%02lld", (long long)y, (long long)week);
}
