/* chokectl trace, the worker's side (see trace.h). */
#include "trace.h"

#include <rte_ring.h>
#include <rte_ring_elem.h>

int cp_trace_w_init(struct cp_trace_w *w, const char *name, int socket)
{
	w->n = 0;
	w->lost = 0;
	w->ring = rte_ring_create_elem(name, sizeof(struct cp_trace_rec), CP_TRACE_RING, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	return w->ring != NULL ? 0 : -1;
}

void cp_trace_w_free(struct cp_trace_w *w)
{
	rte_ring_free(w->ring);
	w->ring = NULL;
}

void cp_trace_w_flush(struct cp_trace_w *w)
{
	unsigned put =
	    rte_ring_sp_enqueue_burst_elem(w->ring, w->rec, sizeof(w->rec[0]), w->n, NULL);
	w->lost += w->n - put;
	w->n = 0;
}
