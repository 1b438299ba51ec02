/* api_dashboard.c -- GET /dashboard: the web dashboard's one page, built into the binary; it reads the admin API with the operator's token. */
#include <stdint.h>

#include "api_int.h"

/* dashboard.html, embedded at build time (embed_file.cmake). */
extern const char api_dashboard_html[];
extern const size_t api_dashboard_html_len;

/* The page loads nothing from elsewhere and may talk only to this API. */
#define API_DASHBOARD_CSP "default-src 'none'; script-src 'unsafe-inline'; " \
	"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

enum MHD_Result
api_dashboard(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(api_dashboard_html_len,
	    (void *)(uintptr_t)api_dashboard_html, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy",
	    API_DASHBOARD_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = api_queue(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
