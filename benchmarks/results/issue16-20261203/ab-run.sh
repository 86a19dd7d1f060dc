#!/bin/bash
# A/B: session-3 main (87f9da4) vs after issue 16 (4bb7a1b), doi-h2, alternating.
for i in 1 2; do
  for v in old new; do
    if [ $v = old ]; then d=/tmp/bench-old; else d=/tmp/bench; fi
    cd $d
    { echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"; java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar org.optin4j.benchmarks.DoiBench h2 2 2000 8; echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"; } 2>&1 | grep -v '^SLF4J' > /tmp/ab/$v-$i.txt
  done
done
echo done > /tmp/ab/finished
