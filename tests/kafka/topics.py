#!/usr/bin/python3
"""topics.py - topics of a real Kafka cluster through the Admin API (python3-kafka), for tests.

  topics.py -b BOOTSTRAP create NAME[:PARTITIONS[:REPLICATION]]... [--config KEY=VALUE]...
  topics.py -b BOOTSTRAP leader TOPIC PARTITION      prints the partition leader's node id
  topics.py -b BOOTSTRAP offsets TOPIC               "partition low high" per partition
  topics.py -b BOOTSTRAP exists TOPIC                exit 0 if the topic exists, 1 if not
  topics.py -b BOOTSTRAP headers TOPIC               "partition offset key name=value..." per
                                                     record, every partition from its start

create waits (30 s) until every partition of every new topic has a leader, so the next client
finds them; a topic that already exists is an error. Real Kafka clusters run with topic
auto-creation off, and scripts/kafka.sh starts them that way: a test creates what it uses.
python3-kafka is independent of librdkafka, so it also serves as a second reader of what relearn
wrote (offsets, the records' keys and headers).
"""
import argparse
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="relearn-tests",
                            request_timeout_ms=20000)


def leaders(a, topic):
    """{partition: leader} of TOPIC; a partition without a leader maps to -1."""
    d = a.describe_topics([topic])[0]
    if d["error_code"] != 0:
        return {}
    return {p["partition"]: p["leader"] for p in d["partitions"]}


def cmd_create(a, args):
    configs = dict(kv.split("=", 1) for kv in args.config)
    specs = []
    for spec in args.topics:
        parts = spec.split(":")
        name = parts[0]
        n = int(parts[1]) if len(parts) > 1 else 1
        rf = int(parts[2]) if len(parts) > 2 else 1
        specs.append(NewTopic(name, n, rf, topic_configs=configs))
    try:
        r = a.create_topics(specs, timeout_ms=20000)
    except KafkaError as e:
        sys.exit("topics.py: create %s failed: %s" % (" ".join(args.topics), type(e).__name__))
    bad = [(t, e, m) for (t, e, m) in r.topic_errors if e != 0]
    if bad:
        sys.exit("topics.py: create failed: %s" % bad)
    deadline = time.time() + 30
    for s in specs:
        while True:
            ls = leaders(a, s.name)
            if len(ls) == s.num_partitions and all(v >= 0 for v in ls.values()):
                break
            if time.time() > deadline:
                sys.exit("topics.py: %s has no leader for every partition after 30 s: %s"
                         % (s.name, ls))
            time.sleep(0.1)


def consumer(bootstrap, topic):
    """A consumer outside any group, and TOPIC's partitions (exits if there are none)."""
    c = KafkaConsumer(bootstrap_servers=bootstrap, client_id="relearn-tests",
                      enable_auto_commit=False)
    ps = sorted(c.partitions_for_topic(topic) or [])
    if not ps:
        sys.exit("topics.py: no topic %s" % topic)
    return c, [TopicPartition(topic, p) for p in ps]


def cmd_offsets(bootstrap, topic):
    c, tps = consumer(bootstrap, topic)
    lo = c.beginning_offsets(tps)
    hi = c.end_offsets(tps)
    for tp in tps:
        print(tp.partition, lo[tp], hi[tp])
    c.close()


def cmd_headers(bootstrap, topic):
    c, tps = consumer(bootstrap, topic)
    hi = c.end_offsets(tps)
    c.assign(tps)
    c.seek_to_beginning(*tps)
    left = {tp for tp in tps if c.position(tp) < hi[tp]}
    deadline = time.time() + 30
    while left and time.time() < deadline:
        for tp, recs in c.poll(timeout_ms=500).items():
            for r in recs:
                h = " ".join("%s=%s" % (k, v.decode("utf-8", "replace")) for k, v in r.headers)
                key = r.key.decode("utf-8", "replace") if r.key is not None else "-"
                print(tp.partition, r.offset, key, h)
            if c.position(tp) >= hi[tp]:
                left.discard(tp)
    c.close()
    if left:
        sys.exit("topics.py: %s not read to its end in 30 s" % sorted(tp.partition for tp in left))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-b", "--bootstrap", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("topics", nargs="+")
    c.add_argument("--config", action="append", default=[])
    lp = sub.add_parser("leader")
    lp.add_argument("topic")
    lp.add_argument("partition", type=int)
    o = sub.add_parser("offsets")
    o.add_argument("topic")
    e = sub.add_parser("exists")
    e.add_argument("topic")
    h = sub.add_parser("headers")
    h.add_argument("topic")
    args = ap.parse_args()
    if args.cmd == "offsets":
        cmd_offsets(args.bootstrap, args.topic)
        return
    if args.cmd == "headers":
        cmd_headers(args.bootstrap, args.topic)
        return
    a = admin(args.bootstrap)
    try:
        if args.cmd == "create":
            cmd_create(a, args)
        elif args.cmd == "leader":
            print(leaders(a, args.topic).get(args.partition, -1))
        elif args.cmd == "exists":
            sys.exit(0 if args.topic in a.list_topics() else 1)
    finally:
        a.close()


if __name__ == "__main__":
    main()
