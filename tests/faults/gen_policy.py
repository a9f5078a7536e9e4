"""Write a large policy: N outside prefixes in a set and M domain names in a category.

usage: gen_policy.py OUT.conf N_PREFIXES N_NAMES [24]

The prefixes are distinct /32s and /24s outside the inside space (10.0.0.0/8 and up, never
192.0.2.0/24); the names are name<i>.example. Rules: the names are rejected (dns and sni), the set
is passed, the rest dropped: a replay can check one packet against each. With "24", every
prefix is a /24 (no prefix longer than /24).
"""
import sys


def main():
    out, n_pfx, n_names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    only24 = len(sys.argv) > 4 and sys.argv[4] == "24"
    with open(out, "w") as f:
        f.write('version = 1;\ninside = [ "192.0.2.0/24" ];\n')
        f.write("sets = {\n  big = [\n")
        for i in range(n_pfx):
            # 10.0.0.0 upwards: i -> a 32-bit address; every 4th is a /24 (distinct: step 256).
            if only24:
                a = (11 << 24) + i * 256
                f.write('    "%d.%d.%d.0/24",\n' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255))
            elif i % 4 == 3:
                a = (10 << 24) + (1 << 23) + (i // 4) * 256
                f.write('    "%d.%d.%d.0/24",\n' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255))
            else:
                a = (10 << 24) + i
                f.write('    "%d.%d.%d.%d",\n' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
        f.write('    "198.51.100.1"\n  ];\n};\n')
        if n_names > 0:
            f.write('categories = (\n  { name = "many";\n    dns = [\n')
            f.write(",\n".join('      "name%d.example"' % i for i in range(n_names)))
            f.write('\n    ];\n    sni = [\n')
            f.write(",\n".join('      "name%d.example"' % i for i in range(n_names)))
            f.write("\n    ];\n  }\n);\n")
        f.write("rules = (\n")
        if n_names > 0:
            f.write('  { name = "names"; action = "reject"; from = "inside"; category = "many"; },\n')
        f.write('  { name = "big"; action = "pass"; from = "inside"; to = "@big"; }\n);\n')


main()
