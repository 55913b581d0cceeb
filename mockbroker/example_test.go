package mockbroker_test

import (
	"fmt"
	"log"

	"github.com/samsa-go/samsa/mockbroker"
)

// A three-broker cluster with one topic; point any Kafka client at Addrs.
func ExampleNew() {
	c, err := mockbroker.New(mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 6))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	fmt.Println(len(c.Addrs()), "brokers")
	leader, err := c.Leader("orders", 4)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders-4 is led by broker", leader)
	// Output:
	// 3 brokers
	// orders-4 is led by broker 1
}

// Stopping a broker moves the leadership of its partitions to the next
// replica and bumps the leader epoch; restarting it brings them back.
func ExampleCluster_StopBroker() {
	c, err := mockbroker.New(mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 3))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	show := func() {
		leader, _ := c.Leader("orders", 0)
		epoch, _ := c.LeaderEpoch("orders", 0)
		fmt.Printf("leader %d, epoch %d, %d brokers up\n", leader, epoch, len(c.Addrs()))
	}
	show()
	if err := c.StopBroker(0); err != nil {
		log.Fatal(err)
	}
	show()
	if err := c.RestartBroker(0); err != nil {
		log.Fatal(err)
	}
	show()
	// Output:
	// leader 0, epoch 0, 3 brokers up
	// leader 1, epoch 1, 2 brokers up
	// leader 0, epoch 2, 3 brokers up
}
