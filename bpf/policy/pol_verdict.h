/* The verdicts of the two hooks on a pod's host-side veth. Allowed packets go on to the next
 * program of the hook (netaccel-fwd); denied ones are dropped, counted and reported. */
#ifndef NETACCEL_POL_VERDICT_H
#define NETACCEL_POL_VERDICT_H

#include "policy/pol_ct.h"
#include "policy/pol_lookup.h"

#define POL_TCX_NEXT (-1)
#define POL_TCX_DROP 2

/* Set by the daemon: traffic from this node itself (kubelet's probes) is always let in. */
const volatile __u32 pol_allow_host = 1;

static __always_inline void pol_count(__u32 endpoint, __u8 dir, __u32 stat)
{
	__u32 slot = endpoint - 1;
	struct pol_stats *s;

	if (!endpoint || dir > POL_DIR_EGRESS || stat >= POL_STAT_MAX)
		return;
	s = bpf_map_lookup_elem(&pol_stats, &slot);
	if (s)
		s->packets[dir][stat]++;
}

static __always_inline int pol_deny(struct __sk_buff *skb, const struct pol_pkt *p, __u32 endpoint, __u8 dir, __u32 peer,
				    __u8 reason)
{
	struct pol_drop_event *e;

	pol_count(endpoint, dir, POL_STAT_DENIED);
	e = bpf_ringbuf_reserve(&pol_drops, sizeof(*e), 0);
	if (e) {
		e->ts_ns = bpf_ktime_get_ns();
		e->endpoint = endpoint;
		e->peer_identity = peer;
		e->ifindex = skb->ifindex;
		e->dir = dir;
		e->reason = reason;
		e->proto = p->proto;
		e->pad = 0;
		e->sport = p->sport;
		e->dport = p->dport;
		__builtin_memcpy(e->saddr, p->saddr, 16);
		__builtin_memcpy(e->daddr, p->daddr, 16);
		bpf_ringbuf_submit(e, 0);
	}
	return POL_TCX_DROP;
}

/* Reads the frame into p; the result (enum pol_parse_result) says whether a verdict is due. */
static __always_inline int pol_read(struct __sk_buff *skb, struct pol_pkt *p)
{
	const __u32 need = sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + 48;

	if (pol_skb_data(skb) + need > pol_skb_data_end(skb))
		bpf_skb_pull_data(skb, skb->len < need ? skb->len : need);
	return pol_parse(skb, p);
}

/* Packets leaving the pod (the host veth's ingress): the pod's egress policy, and when the
 * destination is a pod of this node, that pod's ingress policy too, because netaccel-fwd
 * may hand the packet straight to it past its own veth's hooks. */
static __always_inline int pol_from_pod(struct __sk_buff *skb, const struct pol_slot *s)
{
	__u32 ifindex = skb->ifindex, dst_id, dst_cidr, src_cidr = 0, peer_ep = 0;
	struct pol_endpoint *ep = bpf_map_lookup_elem(s->endpoints, &ifindex);
	struct pol_addr_val *dst, *src;
	void *own, *peer_rules = NULL;
	int own_iso, peer_iso = 0, rc;
	struct pol_pkt p;

	if (!ep)
		return POL_TCX_NEXT;
	own = pol_rules(s->policy, ep->endpoint);
	own_iso = pol_isolated(own, POL_DIR_EGRESS);
	rc = pol_read(skb, &p);
	if (rc == POL_PKT_NOT_IP || rc == POL_PKT_CONTROL)
		return POL_TCX_NEXT;
	if (rc == POL_PKT_MALFORMED)
		return own_iso ? pol_deny(skb, &p, ep->endpoint, POL_DIR_EGRESS, 0, POL_DROP_MALFORMED) : POL_TCX_NEXT;
	dst = pol_ipcache(s->ipcache, p.daddr);
	dst_id = dst ? dst->identity : POL_ID_WORLD;
	if (dst && dst->endpoint) {
		peer_ep = dst->endpoint;
		peer_rules = pol_rules(s->policy, peer_ep);
		peer_iso = pol_isolated(peer_rules, POL_DIR_INGRESS);
	}
	if (!own_iso && !peer_iso) {
		pol_count(ep->endpoint, POL_DIR_EGRESS, POL_STAT_UNRESTRICTED);
		pol_ct_note(&p);
		return POL_TCX_NEXT;
	}
	if (pol_ct_known(&p)) {
		pol_count(ep->endpoint, POL_DIR_EGRESS, POL_STAT_ESTABLISHED);
		return POL_TCX_NEXT;
	}
	if (own_iso) {
		dst_cidr = pol_cidr(s->cidrs, p.daddr);
		if (!pol_allows(own, POL_DIR_EGRESS, dst_id, dst_cidr, &p))
			return pol_deny(skb, &p, ep->endpoint, POL_DIR_EGRESS, dst_id, POL_DROP_POLICY);
	}
	if (peer_iso) {
		/* The source is this endpoint whatever address it wrote; its ipBlock range counts
		 * only when the address is really its own. */
		src = pol_ipcache(s->ipcache, p.saddr);
		if (src && src->endpoint == ep->endpoint)
			src_cidr = pol_cidr(s->cidrs, p.saddr);
		if (!pol_allows(peer_rules, POL_DIR_INGRESS, ep->identity, src_cidr, &p))
			return pol_deny(skb, &p, peer_ep, POL_DIR_INGRESS, ep->identity, POL_DROP_POLICY);
		pol_count(peer_ep, POL_DIR_INGRESS, POL_STAT_ALLOWED);
	}
	if (own_iso)
		pol_count(ep->endpoint, POL_DIR_EGRESS, POL_STAT_ALLOWED);
	pol_ct_create(&p);
	return POL_TCX_NEXT;
}

/* Packets entering the pod (the host veth's egress): its ingress policy. */
static __always_inline int pol_to_pod(struct __sk_buff *skb, const struct pol_slot *s)
{
	__u32 ifindex = skb->ifindex, src_id;
	struct pol_endpoint *ep = bpf_map_lookup_elem(s->endpoints, &ifindex);
	struct pol_addr_val *src;
	struct pol_pkt p;
	void *own;
	int rc, iso;

	if (!ep)
		return POL_TCX_NEXT;
	own = pol_rules(s->policy, ep->endpoint);
	iso = pol_isolated(own, POL_DIR_INGRESS);
	rc = pol_read(skb, &p);
	if (rc == POL_PKT_NOT_IP || rc == POL_PKT_CONTROL)
		return POL_TCX_NEXT;
	if (rc == POL_PKT_MALFORMED)
		return iso ? pol_deny(skb, &p, ep->endpoint, POL_DIR_INGRESS, 0, POL_DROP_MALFORMED) : POL_TCX_NEXT;
	if (!iso) {
		pol_count(ep->endpoint, POL_DIR_INGRESS, POL_STAT_UNRESTRICTED);
		pol_ct_note(&p);
		return POL_TCX_NEXT;
	}
	if (pol_ct_known(&p)) {
		pol_count(ep->endpoint, POL_DIR_INGRESS, POL_STAT_ESTABLISHED);
		return POL_TCX_NEXT;
	}
	src = pol_ipcache(s->ipcache, p.saddr);
	src_id = src ? src->identity : POL_ID_WORLD;
	if (!(src_id == POL_ID_HOST && pol_allow_host) &&
	    !pol_allows(own, POL_DIR_INGRESS, src_id, pol_cidr(s->cidrs, p.saddr), &p))
		return pol_deny(skb, &p, ep->endpoint, POL_DIR_INGRESS, src_id, POL_DROP_POLICY);
	pol_count(ep->endpoint, POL_DIR_INGRESS, POL_STAT_ALLOWED);
	pol_ct_create(&p);
	return POL_TCX_NEXT;
}

#endif
