"""PostGIS and shapely sides of the side-by-side benchmark (issue 7), and the report writer.

Run by benches/side_by_side/run.sh, never by hand-typed figures:
  peers.py topojson IN.json OUT.geojson        US counties TopoJSON -> GeoJSON (geoid property)
  peers.py shapely DIR                         -> DIR/shapely.json
  peers.py postgis DIR SOCKET_DIR PORT         -> DIR/postgis.json
  peers.py misses URL TILES.txt OUT.json        first request of each distinct tile over HTTP
Every input is read from the files wangge_side.rs wrote into DIR, so the three engines see the
same coordinates.
"""
import csv
import json
import os
import sys
import time

csv.field_size_limit(1 << 30)
SETS = ["tunxi", "helsinki", "city", "counties"]


def topojson(src, dst):
    topo = json.load(open(src))
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(ids):
        out = []
        for i in ids:
            pts = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(pts if not out else pts[1:])
        return [list(p) for p in out]

    def polygon(rings):
        # Rings the TopoJSON quantisation collapsed (fewer than 4 points) are dropped; a polygon
        # whose shell collapsed is dropped whole.
        rs = [ring(r) for r in rings]
        if len(rs[0]) < 4:
            return None
        return [r for r in rs if len(r) >= 4]

    feats = []
    dropped = 0
    # The conterminous states and DC only: with Alaska, Hawaii and the territories the bounding
    # box is mostly ocean, and random points in it would mostly measure "outside everything".
    outside_conterminous = {"02", "15", "60", "66", "69", "72", "78"}
    for g in topo["objects"]["counties"]["geometries"]:
        if str(g["id"])[:2] in outside_conterminous:
            continue
        if g.get("type") == "Polygon":
            polys = [g["arcs"]]
        elif g.get("type") == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        kept = [p for p in (polygon(r) for r in polys) if p]
        dropped += sum(len(p) for p in polys) - sum(len(p) for p in kept)
        if not kept:
            continue
        coords, kind = kept, "MultiPolygon"
        feats.append({"type": "Feature", "properties": {"geoid": "C" + str(g["id"]),
                                                        "name": g.get("properties", {}).get("name")},
                      "geometry": {"type": kind, "coordinates": coords}})
    json.dump({"type": "FeatureCollection", "features": feats}, open(dst, "w"))
    print(f"counties: {len(feats)} polygons, {dropped} collapsed rings dropped", file=sys.stderr)


def read_tsv(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_points(path):
    import numpy as np
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=float)
    return a[:, 1], a[:, 2]


def classes(counts):
    import numpy as np
    return {"n": int(len(counts)), "zero": int((counts == 0).sum()), "one": int((counts == 1).sum()),
            "two_plus": int((counts >= 2).sum())}


def agreement(d, name, pairs, n):
    """Points where the peer finds exactly one grid: how many got the same grid from wangge."""
    import numpy as np
    w = np.fromfile(os.path.join(d, f"{name}.wangge_hits.bin"), dtype="<i4")
    pid, gid = pairs
    counts = np.bincount(pid, minlength=n)
    single = counts[pid] == 1
    same = int((w[pid[single]] == gid[single]).sum())
    return {"peer_single": int(single.sum()), "same_grid_as_wangge": same}


def best(f, runs=3):
    t_best, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def shapely_side(d):
    import numpy as np
    import shapely
    from shapely import STRtree
    res = {"version": shapely.__version__, "geos": shapely.geos_version_string, "batch": {}}
    w = json.load(open(os.path.join(d, "wangge.json")))
    for name in SETS:
        p = os.path.join(d, f"{name}.grids.tsv")
        if not os.path.exists(p):
            continue
        rows = read_tsv(p)
        grids = shapely.from_wkt([r["wkt"] for r in rows])
        x, y = read_points(os.path.join(d, f"{name}.points.csv"))
        pts = shapely.points(x, y)
        bx, by = read_points(os.path.join(d, f"{name}.boundary.csv"))
        bpts = shapely.points(bx, by)
        nv = w["batch"][name]["boundary"]["vertices"]["n"]
        out = {"grids": len(rows), "points": len(pts)}
        tb, tree = best(lambda: STRtree(grids), 1)
        out["tree_build_seconds"] = tb
        for pred in ["intersects", "within"]:
            secs, idx = best(lambda: tree.query(pts, predicate=pred), 2)
            counts = np.bincount(idx[0], minlength=len(pts))
            bidx = tree.query(bpts, predicate=pred)
            bc = np.bincount(bidx[0], minlength=len(bpts))
            out[pred] = {"seconds": secs, "points_per_second": len(pts) / secs, "pairs": int(idx.shape[1]),
                         "points": classes(counts),
                         "boundary": {"vertices": classes(bc[:nv]), "edges": classes(bc[nv:])},
                         "agreement": agreement(d, name, (idx[0], idx[1]), len(pts))}
        print(f"shapely {name}: {out['intersects']['seconds']:.2f} s", file=sys.stderr)
        res["batch"][name] = out
    # Whole-layer coverage validation, clean and with the injected defects.
    gap_width = 1e-4  # degrees, about 10 m: gaps up to this width are reported
    val = {"gap_width_degrees": gap_width}
    for label, f in [("clean", "city.grids.tsv"), ("injected", "city_defects.grids.tsv")]:
        rows = read_tsv(os.path.join(d, f))
        geoms = shapely.from_wkt([r["wkt"] for r in rows])
        secs, edges = best(lambda: shapely.coverage_invalid_edges(geoms, gap_width=gap_width), 1)
        flagged = {rows[i]["id"] for i in np.nonzero(~shapely.is_empty(edges))[0]}
        val[label] = {"seconds": secs, "flagged_polygons": len(flagged)}
        if label == "injected":
            truth = json.load(open(os.path.join(d, "city_defects.truth.json")))
            found = sum(1 for _, ids in truth if any(i in flagged for i in ids))
            involved = {i for _, ids in truth for i in ids}
            val[label].update({"injected": len(truth), "found": found, "missed": len(truth) - found,
                               "false_positives": len(flagged - involved)})
        print(f"shapely coverage_invalid_edges {label}: {secs:.2f} s", file=sys.stderr)
    res["validation"] = val
    json.dump(res, open(os.path.join(d, "shapely.json"), "w"), indent=1)


def postgis_side(d, sock, port):
    import numpy as np
    import psycopg
    conn = psycopg.connect(host=sock, port=port, dbname="bench", user="postgres", autocommit=True)
    cur = conn.cursor()
    res = {"version": cur.execute("SELECT version()").fetchone()[0],
           "postgis": cur.execute("SELECT postgis_full_version()").fetchone()[0], "batch": {}}
    w = json.load(open(os.path.join(d, "wangge.json")))

    def load_points(table, path):
        cur.execute(f"DROP TABLE IF EXISTS {table}; CREATE UNLOGGED TABLE {table} (id int, x float8, y float8)")
        with open(path) as f, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as cp:
            while chunk := f.read(1 << 20):
                cp.write(chunk)
        cur.execute(f"ALTER TABLE {table} ADD COLUMN geom geometry(Point, 4326);"
                    f"UPDATE {table} SET geom = ST_SetSRID(ST_MakePoint(x, y), 4326); ANALYZE {table}")

    def load_grids(table, path, cols="idx int, id text, wkt text"):
        cur.execute(f"DROP TABLE IF EXISTS {table}; CREATE UNLOGGED TABLE {table} ({cols})")
        with open(path) as f, cur.copy(f"COPY {table} FROM STDIN (FORMAT text, HEADER true)") as cp:
            while chunk := f.read(1 << 20):
                cp.write(chunk)
        cur.execute(f"ALTER TABLE {table} ADD COLUMN geom geometry(MultiPolygon, 4326);"
                    f"UPDATE {table} SET geom = ST_GeomFromText(wkt, 4326);"
                    f"CREATE INDEX ON {table} USING gist (geom); ANALYZE {table}")

    for name in SETS:
        p = os.path.join(d, f"{name}.grids.tsv")
        if not os.path.exists(p):
            continue
        t = time.perf_counter()
        load_grids("grids", p)
        load_points("pts", os.path.join(d, f"{name}.points.csv"))
        load_points("bpts", os.path.join(d, f"{name}.boundary.csv"))
        out = {"load_seconds": time.perf_counter() - t}
        npts = cur.execute("SELECT count(*) FROM pts").fetchone()[0]
        nv = w["batch"][name]["boundary"]["vertices"]["n"]
        for pred in ["ST_Intersects", "ST_Contains"]:
            def run():
                cur.execute("DROP TABLE IF EXISTS j")
                cur.execute(f"CREATE UNLOGGED TABLE j AS SELECT p.id AS pid, g.idx AS gidx FROM pts p "
                            f"JOIN grids g ON {pred}(g.geom, p.geom)")
            secs, _ = best(run, 2)
            pairs = np.array(cur.execute("SELECT pid, gidx FROM j").fetchall(), dtype=np.int64).reshape(-1, 2)
            counts = np.bincount(pairs[:, 0], minlength=npts)
            bp = np.array(cur.execute(f"SELECT p.id, g.idx FROM bpts p JOIN grids g ON {pred}(g.geom, p.geom)")
                          .fetchall(), dtype=np.int64).reshape(-1, 2)
            nb = cur.execute("SELECT count(*) FROM bpts").fetchone()[0]
            bc = np.bincount(bp[:, 0], minlength=nb)
            out[pred] = {"seconds": secs, "points_per_second": npts / secs, "pairs": int(len(pairs)),
                         "points": classes(counts),
                         "boundary": {"vertices": classes(bc[:nv]), "edges": classes(bc[nv:])},
                         "agreement": agreement(d, name, (pairs[:, 0], pairs[:, 1]), npts)}
            print(f"postgis {name} {pred}: {secs:.2f} s", file=sys.stderr)
        if name == "city":
            # Single lookups: a prepared statement over one persistent connection.
            xs = cur.execute("SELECT x, y FROM pts ORDER BY id LIMIT 20000").fetchall()
            q = ("SELECT g.id FROM grids g WHERE "
                 "ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY g.id LIMIT 1")
            for x, y in xs[:200]:
                cur.execute(q, (x, y), prepare=True).fetchall()
            lat = []
            t0 = time.perf_counter()
            for x, y in xs:
                t = time.perf_counter()
                cur.execute(q, (x, y), prepare=True).fetchall()
                lat.append((time.perf_counter() - t) * 1e6)
            wall = time.perf_counter() - t0
            lat.sort()
            out["single"] = {"n": len(lat), "queries_per_second": len(lat) / wall,
                             "mean_us": sum(lat) / len(lat), "p50_us": lat[len(lat) // 2],
                             "p99_us": lat[int(len(lat) * 0.99)]}
        res["batch"][name] = out

    # Tiles: ST_AsMVT(ST_AsMVTGeom(...)) on the city's grid layers, same tiles as wangge.
    t = time.perf_counter()
    load_grids("layers", os.path.join(d, "city.layers.tsv"), "fid bigint, code text, layer text, wkt text")
    cur.execute("ALTER TABLE layers ADD COLUMN g3857 geometry(MultiPolygon, 3857);"
                "UPDATE layers SET g3857 = ST_Transform(geom, 3857);"
                "CREATE INDEX ON layers USING gist (g3857); ANALYZE layers")
    tiles_out = {"load_seconds": time.perf_counter() - t}
    q = ("SELECT ST_AsMVT(t, 'grids', 4096, 'geom', 'fid') FROM ("
         "SELECT fid, code, layer, ST_AsMVTGeom(g3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom "
         "FROM layers WHERE g3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096)) t")
    tiles = [tuple(map(int, r)) for r in csv.reader(open(os.path.join(d, "city.tiles.csv")))
             if r and r[0] != "z"]
    for z in sorted({t[0] for t in tiles}):
        zs = [t for t in tiles if t[0] == z]
        def run():
            return sum(len(cur.execute(q, {"z": z, "x": x, "y": y}, prepare=True).fetchone()[0] or b"")
                       for z, x, y in zs)
        secs, nbytes = best(run, 2 if z == 8 else 3)
        tiles_out[f"z{z}"] = {"tiles": len(zs), "seconds": secs, "tiles_per_second": len(zs) / secs,
                              "bytes": nbytes}
        print(f"postgis tiles z{z}: {secs:.2f} s", file=sys.stderr)
    res["tiles"] = tiles_out
    json.dump(res, open(os.path.join(d, "postgis.json"), "w"), indent=1)


def http_misses(base, tiles_file, out):
    """First request of each distinct tile, one at a time, on a fresh server (cache misses)."""
    import http.client
    from urllib.parse import urlparse
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    lat, nbytes = [], 0
    for line in open(tiles_file):
        t = time.perf_counter()
        conn.request("GET", f"/tiles/grids/{line.strip()}.mvt")
        r = conn.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t) * 1e3)
        nbytes += len(body)
        if r.status not in (200, 204):
            raise SystemExit(f"tile {line.strip()}: HTTP {r.status}")
    lat.sort()
    json.dump({"tiles": len(lat), "requests_per_second": len(lat) / (sum(lat) / 1e3),
               "p50_ms": lat[len(lat) // 2], "p99_ms": lat[int(len(lat) * 0.99)], "bytes": nbytes},
              open(out, "w"))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "topojson":
        topojson(sys.argv[2], sys.argv[3])
    elif cmd == "shapely":
        shapely_side(sys.argv[2])
    elif cmd == "postgis":
        postgis_side(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "misses":
        http_misses(sys.argv[2], sys.argv[3], sys.argv[4])
