/*
 * http_date.h - HTTP dates (RFC 9110 section 5.6.7).
 */
#ifndef OTU_HTTP_DATE_H
#define OTU_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

/* Length of an IMF-fixdate such as "Sun, 06 Nov 1994 08:49:37 GMT". */
#define HTTP_DATE_LEN 29

/* Writes t as an IMF-fixdate plus NUL into out (HTTP_DATE_LEN + 1 bytes). */
void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

/* The English three-letter name of month 0..11 ("Jan"), as dates and logs spell it. */
const char *http_date_month_name(int month);

/*
 * Parses s[0..len) in any of the three forms a recipient must accept:
 * IMF-fixdate, RFC 850 and asctime.  Returns the time, or -1 when s is
 * not a valid date.
 */
time_t http_date_parse(const char *s, size_t len);

#endif
