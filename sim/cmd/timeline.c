#include "timeline.h"

#include "timeline_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

/* sim/cmd/timeline.js and timeline.css, embedded at build time (embed.c) */
extern const char timeline_js[];
extern const char timeline_css[];

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* JSON inside <script>: "</" would end the element, so it is written "<\/"
 * (the same string to a JSON parser). */
static int json_into_script(const char *buf, size_t size, void *data)
{
	FILE *f = data;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '/' && i > 0 && buf[i - 1] == '<')
			fputc('\\', f);
		fputc(buf[i], f);
	}
	return 0;
}

/* A plain table of every event, for reading without the script. */
static void table(FILE *f, json_t *events)
{
	fprintf(f, "<details id=\"table\"><summary>Every event (%zu), as a table</summary>\n"
		   "<table><tr><th>t (ms)</th><th>block</th><th>alice</th><th>bob</th>"
		   "<th>details</th></tr>\n", json_array_size(events));
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *node = json_string_value(json_object_get(ev, "node"));
		const char *name = json_string_value(json_object_get(ev, "event"));
		bool alice = node && strcmp(node, "alice") == 0;
		fprintf(f, "<tr class=\"%s\"><td>%.3f</td><td>%lld</td><td>", alice ? "alice" : "bob",
			json_number_value(json_object_get(ev, "t_ms")),
			(long long)json_integer_value(json_object_get(ev, "height")));
		esc(f, alice ? name : "");
		fputs("</td><td>", f);
		esc(f, alice ? "" : name);
		fputs("</td><td><code>", f);
		const char *k;
		json_t *v;
		json_object_foreach(ev, k, v) {
			if (!strcmp(k, "t_ms") || !strcmp(k, "height") || !strcmp(k, "node") ||
			    !strcmp(k, "event"))
				continue;
			char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			esc(f, k);
			fputc('=', f);
			esc(f, s ? s : "");
			fputc(' ', f);
			free(s);
		}
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table></details>\n", f);
}

bool timeline_write(json_t *events, const char *scenario, uint64_t seed, double time_scale,
		    const char *path)
{
	json_t *model = timeline_model(events);
	json_object_set_new(model, "scenario", json_string(scenario));
	json_object_set_new(model, "seed", json_integer((json_int_t)seed));
	json_object_set_new(model, "time_scale", json_real(time_scale));
	FILE *f = private_fopen(path);
	if (!f) {
		json_decref(model);
		return false;
	}
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>ampsim run: ", f);
	esc(f, scenario);
	fprintf(f, "</title>\n<style>\n%s</style></head><body>\n", timeline_css);
	fputs("<header><h1>ampsim run <code>", f);
	esc(f, scenario);
	fprintf(f, "</code></h1><p>Seed %llu. <span id=\"summary\"></span></p>\n"
		   "<div id=\"controls\"><button id=\"back\" title=\"step back (&#x2190;)\">&#x25C0; back"
		   "</button><button id=\"play\" title=\"play / pause (space)\">&#x25B6; play</button>"
		   "<button id=\"fwd\" title=\"step forward (&#x2192;)\">step &#x25B6;</button>"
		   "<input id=\"slider\" type=\"range\" min=\"0\" value=\"0\">"
		   "<span id=\"now\"></span></div></header>\n"
		   "<noscript><p>The diagram is drawn by the page's script; without it, the table "
		   "below lists every event.</p></noscript>\n"
		   "<div id=\"main\"><div id=\"legend\"></div><div id=\"diagram\"></div>"
		   "<aside id=\"state\"></aside></div>\n<div id=\"tip\" hidden></div>\n",
		(unsigned long long)seed);
	if (!json_is_true(json_object_get(model, "aggregate")))
		table(f, events);
	fputs("<script type=\"application/json\" id=\"model\">", f);
	json_dump_callback(model, json_into_script, f, JSON_COMPACT | JSON_REAL_PRECISION(12));
	fprintf(f, "</script>\n<script>\n%s</script>\n</body></html>\n", timeline_js);
	json_decref(model);
	return fclose(f) == 0;
}
