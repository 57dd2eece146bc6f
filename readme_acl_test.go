package main

import (
	"os"
	"strings"
	"testing"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/stream"
)

// TestREADMEListsEveryGrant: README's "Running on a secured cluster" gives, for --prefix acl.,
// the kafka-acls line of every grant each command needs (access.go, which run checks at start
// and the ACL integration test grants), and the kafka-topics line of every topic run creates,
// as run would create it with --partitions 6 --replication 3.
func TestREADMEListsEveryGrant(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	topo := stream.NewTopology("acl.")
	for _, role := range []struct {
		principal string
		access    kafka.Access
	}{
		{"User:holostream", stream.ProcessorAccess(topo)},
		{"User:camera", stream.ProducerAccess(topo)},
		{"User:reader", stream.ReaderAccess(topo)},
		{"User:gateway", stream.GatewayAccess(topo)},
		{"User:loadtest", stream.LoadtestAccess(topo)},
		{"User:reader", stream.StateAccess(topo)},
	} {
		for _, g := range grants(role.principal, role.access) {
			_, line, _ := strings.Cut(g.Command("B"), "--bootstrap-server B ")
			if !strings.Contains(readme, line) {
				t.Errorf("README lacks the grant: %s", line)
			}
		}
	}
	k, err := kafka.New(kafka.Config{Brokers: []string{"B"}, Partitions: 6, Replication: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, ta := range stream.ProcessorAccess(topo).Topics {
		line := "--create --topic " + ta.Topic + " " + kafka.CreateArgs(6, 3, k.TopicConfig(ta.Table))
		if !strings.Contains(readme, line) {
			t.Errorf("README lacks the topic: %s", line)
		}
	}
}

// grants are the grants that give principal a, one per resource.
func grants(principal string, a kafka.Access) []kafka.Grant {
	var out []kafka.Grant
	for _, t := range a.Topics {
		out = append(out, kafka.Grant{Principal: principal, Resource: "topic", Name: t.Topic, Ops: t.Ops})
	}
	for _, g := range a.Groups {
		out = append(out, kafka.Grant{Principal: principal, Resource: "group", Name: g.Group, Ops: g.Ops})
	}
	return out
}
