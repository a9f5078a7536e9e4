/* to be written */
typedef int cp_stub_ports;
