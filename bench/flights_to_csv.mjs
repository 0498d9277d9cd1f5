// flights_to_csv.mjs - vega-datasets' data/flights-3m.parquet as the CSV stream the learning
// benchmarks read (bench/bench_flights.sh), in the file's order (by departure time):
//   delayed,origin,to,hour,weekday,month,date,length
// delayed: 1 when the departure delay is over 15 minutes (the FAA's definition), else 0;
// origin, to: airport codes; hour, weekday (0 = Sunday), month: of the scheduled departure,
// local time (the file's timestamps carry no zone); date: YYYY-MM-DD; length: miles. The
// columns' first letters differ, so -q crosses them as VW crosses namespaces.
// Usage: node flights_to_csv.mjs flights-3m.parquet out.csv   (needs npm's hyparquet and
// hyparquet-compressors, which bench_flights.sh installs into its scratch directory)
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import fs from 'fs'

const file = await asyncBufferFromFile(process.argv[2])
const md = await parquetMetadataAsync(file)
const n = Number(md.num_rows), out = fs.createWriteStream(process.argv[3])
out.write('delayed,origin,to,hour,weekday,month,date,length\n')
let late = 0
for (let s = 0; s < n; s += 200000) {
  const rows = await parquetReadObjects({ file, compressors, rowStart: s, rowEnd: Math.min(n, s + 200000) })
  let buf = ''
  for (const r of rows) {
    const d = r.date, y = Number(r.delay) > 15 ? 1 : 0
    late += y
    buf += `${y},${r.origin},${r.destination},${d.getUTCHours()},${d.getUTCDay()},` +
      `${d.getUTCMonth() + 1},${d.toISOString().slice(0, 10)},${Number(r.distance)}\n`
  }
  if (!out.write(buf)) await new Promise(res => out.once('drain', res))
}
out.end()
console.error(`flights_to_csv: ${n} rows, ${late} delayed over 15 minutes (${(late / n).toFixed(5)})`)
