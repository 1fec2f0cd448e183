// Independent decoder check: decodes MVT files with @mapbox/vector-tile + pbf (the libraries
// MapLibre's ancestors use) and prints one JSON document per file, one per line:
//   {"file", "layers": [{"name", "version", "extent",
//                        "features": [{"id", "type", "properties", "geometry": [[[x, y], ...], ...]}]}]}
// type: 1 point, 2 line, 3 polygon. Polygon rings come back closed (first point repeated),
// as vector-tile-js's loadGeometry returns them.
// Usage: node tiles/tests/decode.mjs FILE...
import { readFileSync } from 'node:fs';
import { PbfReader as Pbf } from 'pbf';
import { VectorTile } from '@mapbox/vector-tile';

for (const file of process.argv.slice(2)) {
  const tile = new VectorTile(new Pbf(readFileSync(file)));
  const layers = Object.values(tile.layers).map((layer) => {
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      features.push({
        id: f.id ?? null,
        type: f.type,
        properties: f.properties,
        geometry: f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y])),
      });
    }
    return { name: layer.name, version: layer.version, extent: layer.extent, features };
  });
  process.stdout.write(JSON.stringify({ file, layers }) + '\n');
}
